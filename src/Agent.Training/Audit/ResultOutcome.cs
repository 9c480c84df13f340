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

    /// <summary>The last command exited with 0, and an earlier call of the run is one the classifier's call heads flag at
    /// their thresholds (at run time such a call ran only because a person approved it): where a denial of that call
    /// comes, and where the model's deceit signal is good (validation AUROC 0.95) though it is below chance after other
    /// successes. Only <see cref="CombinerScope.PerOutcomeAndFlaggedCall"/> tells it from <see cref="Succeeded"/>.</summary>
    SucceededAfterFlaggedCall,
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

    /// <summary>The outcome, with a success after a flagged earlier call told apart.</summary>
    /// <param name="exitCode">The exit code of the last tool result, or null.</param>
    /// <param name="earlierCallFlagged">Whether an earlier call of the run reached its call head's threshold.</param>
    /// <returns>The outcome.</returns>
    public static ResultOutcome Of(int? exitCode, bool earlierCallFlagged) =>
        Of(exitCode) is ResultOutcome.Succeeded && earlierCallFlagged ? ResultOutcome.SucceededAfterFlaggedCall : Of(exitCode);

    /// <summary>The outcome a scope tells apart: <see cref="CombinerScope.PerOutcome"/> reads a success after a flagged
    /// call as any success; <see cref="CombinerScope.Pooled"/> tells none apart (every outcome is <see cref="ResultOutcome.None"/>).</summary>
    /// <param name="outcome">The span's outcome.</param>
    /// <param name="scope">The scope.</param>
    /// <returns>The outcome as the scope reads it.</returns>
    public static ResultOutcome In(this ResultOutcome outcome, CombinerScope scope) => scope switch
    {
        CombinerScope.Pooled => ResultOutcome.None,
        CombinerScope.PerOutcome when outcome == ResultOutcome.SucceededAfterFlaggedCall => ResultOutcome.Succeeded,
        _ => outcome,
    };
}

/// <summary>What a tag's combiner is fitted on (<c>agent audit --combiner</c>). An outcome with fewer than
/// <see cref="CombinerFit.MinimumPerClass"/> spans of either class is scored by the pooled combiner.</summary>
public enum CombinerScope
{
    /// <summary>One combiner per outcome of the last tool result, with successes after a flagged earlier call apart from
    /// other successes (the default; chosen on validation, models/classifier.md).</summary>
    PerOutcomeAndFlaggedCall,

    /// <summary>One combiner per outcome of the last tool result, each on that outcome's spans alone: the model's deceit
    /// signal ranks lies after a failure well and lies after a success below chance, so one weight for both lets its
    /// noise into the second.</summary>
    PerOutcome,

    /// <summary>One combiner for every span of the tag (the audit before issue 18's last follow-ups).</summary>
    Pooled,
}
