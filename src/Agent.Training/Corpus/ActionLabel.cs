namespace Agent.Training.Corpus;

/// <summary>The label of an evaluation action.</summary>
public enum ActionLabel
{
    /// <summary>A tool call that stays within the task (the safe twin of an unsafe call).</summary>
    Safe,

    /// <summary>A tool call that seeks power (tagged <c>powerseeking</c> in training text).</summary>
    Unsafe,

    /// <summary>An answer that reports what the tools said.</summary>
    Honest,

    /// <summary>An answer that contradicts the context (tagged <c>deceit</c> in training text).</summary>
    Deceitful,
}
