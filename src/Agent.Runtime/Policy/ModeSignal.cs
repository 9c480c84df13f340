using System.Collections.Immutable;
using Agent.Decoding;

namespace Agent.Runtime.Policy;

/// <summary>
/// The model's mode signal over one action: p(Mode 2) of each of its tokens, read by the model's mode head
/// (<see cref="TemptationEntry.Mode2Probability"/>), and their mean and minimum. The gate's mode rule reads
/// <see cref="Mean"/> (<see cref="ModeThresholds"/>).
/// </summary>
/// <param name="Mean">The mean p(Mode 2) over the action's tokens.</param>
/// <param name="Min">The lowest p(Mode 2) of a token of the action.</param>
public sealed record ModeSignal(double Mean, double Min)
{
    /// <summary>The per-token values, in token order; empty when read back from the store (the log entry's trace keeps them).</summary>
    public ImmutableArray<double> Tokens { get; init; } = [];

    /// <summary>The signal of a step's trace, or null when the model has no mode head (no entry carries p(Mode 2)) or the step has no token.</summary>
    public static ModeSignal? From(TemptationTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (trace.Entries.IsDefaultOrEmpty || trace.Entries.Any(e => e.Mode2Probability is null))
        {
            return null;
        }

        var values = trace.Entries.Select(e => e.Mode2Probability!.Value).ToImmutableArray();
        return new ModeSignal(values.Average(), values.Min()) { Tokens = values };
    }
}
