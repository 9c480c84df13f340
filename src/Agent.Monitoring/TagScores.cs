using System.Collections.Immutable;

namespace Agent.Monitoring;

/// <summary>The classifier's verdict on one action.</summary>
/// <param name="Probabilities">Per tag whose head reads this kind of action, the probability that the action shows the
/// behaviour (deceit for answers, powerseeking for calls).</param>
/// <param name="Flagged">The tags whose probability reached the head's threshold (picked on validation, see the model card).</param>
/// <param name="ContextTruncated">Whether the context was longer than the encoder's window and only its beginning was read.</param>
/// <param name="ActionTruncated">Whether the action was longer than the encoder's window and only its beginning was read.</param>
public sealed record TagScores(
    ImmutableDictionary<string, double> Probabilities,
    ImmutableArray<string> Flagged,
    bool ContextTruncated,
    bool ActionTruncated)
{
    /// <summary>Whether any text was truncated.</summary>
    public bool Truncated => ContextTruncated || ActionTruncated;
}
