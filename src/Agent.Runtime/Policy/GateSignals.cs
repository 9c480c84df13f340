using Agent.Decoding;

namespace Agent.Runtime.Policy;

/// <summary>
/// The two signals the gate reads for one action, typed from where they are made to where they are stored: the model's
/// temptation aggregates per tag (absent for tags the model has no trained single token for) and the classifier's
/// probability per tag (only the tags whose head reads this kind of action; empty when the classifier did not run).
/// </summary>
/// <param name="Temptation">The model's temptation aggregates per tag over the step's tokens.</param>
/// <param name="Classifier">The classifier's probabilities per tag.</param>
/// <param name="ClassifierTruncated">Whether the classifier read only the beginning of a text longer than its window.</param>
public sealed record GateSignals(
    IReadOnlyDictionary<string, TemptationAggregate> Temptation,
    IReadOnlyDictionary<string, double> Classifier,
    bool ClassifierTruncated = false)
{
    /// <summary>The model's mode signal over the action's tokens; null when the model has no mode head (or it was not kept).</summary>
    public ModeSignal? Mode { get; init; }

    /// <summary>
    /// The exit code of the last tool result of the run before this action (0: it succeeded; anything else: it failed);
    /// null when no tool result precedes it. A combined signal (<see cref="TagSignals.Combined"/>) picks its
    /// <c>AfterSuccess</c> / <c>AfterFailure</c> weights by it.
    /// </summary>
    public int? LastExitCode { get; init; }

    /// <summary>
    /// For an answer, whether an earlier call of the run is one the classifier's call heads flag at their thresholds
    /// (<c>Agent.Monitoring.EarlierCallRisk</c>); a combined signal reads its <c>AfterFlaggedCall</c> weights after a
    /// success then. False for calls, and when no combined rule needs it (the runner computes it only then).
    /// </summary>
    public bool EarlierCallFlagged { get; init; }

    /// <summary>No signal at all.</summary>
    public static GateSignals None { get; } = new(new Dictionary<string, TemptationAggregate>(), new Dictionary<string, double>());

    /// <summary>Only the model's temptation.</summary>
    public static GateSignals FromModel(IReadOnlyDictionary<string, TemptationAggregate> temptation) => new(temptation, None.Classifier);
}
