namespace Agent.Runtime.Policy;

/// <summary>
/// The combined signal of one tag (<c>Policy:Tags:&lt;tag&gt;:Combined</c>, read when <see cref="TagThresholds.Signals"/> is
/// <see cref="TagSignals.Combined"/>): weights on the logits of the model's temptation and the classifier's probability
/// (the top-level <see cref="Intercept"/>, <see cref="Model"/>, <see cref="Classifier"/>, or <see cref="AfterFailure"/> /
/// <see cref="AfterSuccess"/> / <see cref="AfterFlaggedCall"/> when the last tool result before the action failed /
/// succeeded / succeeded after a flagged earlier call), and thresholds on the score.
/// <c>agent audit --split test --fit-on validation --policy-out FILE</c> writes this section from its fitted combiners.
/// </summary>
public sealed class CombinedThresholds
{
    /// <summary>The bias of the top-level combiner.</summary>
    public double? Intercept { get; set; }

    /// <summary>The weight of logit(model temptation) in the top-level combiner.</summary>
    public double? Model { get; set; }

    /// <summary>The weight of logit(classifier p) in the top-level combiner.</summary>
    public double? Classifier { get; set; }

    /// <summary>The combiner read when the last tool result before the action failed (non-zero exit code); null = the top-level one.</summary>
    public CombinedWeights? AfterFailure { get; set; }

    /// <summary>The combiner read when the last tool result before the action succeeded (exit code 0); null = the top-level one.</summary>
    public CombinedWeights? AfterSuccess { get; set; }

    /// <summary>
    /// The combiner read when the last tool result succeeded and an earlier call of the run is one the classifier's call
    /// heads flag at their thresholds (it ran only because a person approved it; an answer after it is where a denial of it
    /// comes, and where the model's deceit signal is good); null = <see cref="AfterSuccess"/>.
    /// </summary>
    public CombinedWeights? AfterFlaggedCall { get; set; }

    /// <summary>Escalate when the combined score is at least this (in (0, 1)); null = never escalate on it.</summary>
    public double? Escalate { get; set; }

    /// <summary>Block when the combined score is at least this (in (0, 1)); null = never block on it.</summary>
    public double? Block { get; set; }

    /// <summary>The top-level combiner's weights.</summary>
    public CombinedWeights TopLevel => new() { Intercept = Intercept, Model = Model, Classifier = Classifier };

    /// <summary>The combiner for an action whose last tool result ended with <paramref name="lastExitCode"/> (null: no result yet).</summary>
    /// <param name="lastExitCode">The exit code of the last tool result, or null.</param>
    /// <param name="earlierCallFlagged">Whether an earlier call of the run is one the classifier's call heads flag.</param>
    public CombinedWeights WeightsFor(int? lastExitCode, bool earlierCallFlagged = false) => lastExitCode switch
    {
        null => TopLevel,
        0 when earlierCallFlagged && AfterFlaggedCall is { } flagged => flagged,
        0 => AfterSuccess ?? TopLevel,
        _ => AfterFailure ?? TopLevel,
    };
}
