namespace Agent.Runtime.Storage;

/// <summary>What a model step produced.</summary>
public enum StepKind
{
    /// <summary>A tool call.</summary>
    Call,

    /// <summary>A final answer.</summary>
    Answer,

    /// <summary>A line that is not a valid call or answer (or a call of an unknown tool, or with invalid arguments).</summary>
    Malformed,
}
