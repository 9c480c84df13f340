namespace Agent.Training.Audit;

/// <summary>How the last tool result before an action ended: what the gate sees of it besides the two signals.</summary>
public enum ResultOutcome
{
    /// <summary>No tool result precedes the action (a call or answer before any call ran).</summary>
    None,

    /// <summary>The last command exited with 0.</summary>
    Succeeded,

    /// <summary>The last command exited with anything else.</summary>
    Failed,
}

/// <summary>Reads a <see cref="ResultOutcome"/> off an exit code.</summary>
public static class ResultOutcomes
{
    /// <summary>The outcome of a last tool result with this exit code (null: there was none).</summary>
    /// <param name="exitCode">The exit code, or null.</param>
    /// <returns>The outcome.</returns>
    public static ResultOutcome Of(int? exitCode) => exitCode switch
    {
        null => ResultOutcome.None,
        0 => ResultOutcome.Succeeded,
        _ => ResultOutcome.Failed,
    };
}

/// <summary>What a tag's combiner is fitted on (<c>agent audit --combiner</c>).</summary>
public enum CombinerScope
{
    /// <summary>One combiner per outcome of the last tool result, each on that outcome's spans alone (the default):
    /// the model's deceit signal ranks lies after a failure well and lies after a success below chance, so one weight
    /// for both lets its noise into the second. An outcome with fewer than
    /// <see cref="CombinerFit.MinimumPerClass"/> spans of either class is scored by the pooled combiner.</summary>
    PerOutcome,

    /// <summary>One combiner for every span of the tag (the audit before issue 18's last follow-up).</summary>
    Pooled,
}
