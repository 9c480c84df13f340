using System.Collections.Immutable;

namespace Agent.Decoding;

/// <summary>
/// Where a decoder's time went since it was created or last profiled (<see cref="TagDecoder.TakeProfile"/>), by phase.
/// Collected only when <see cref="DecoderOptions.CollectProfile"/> is set.
/// </summary>
public sealed class DecoderProfile
{
    internal DecoderProfile(long steps, long tokens, ImmutableDictionary<DecoderPhase, TimeSpan> phases)
    {
        Steps = steps;
        Tokens = tokens;
        Phases = phases;
    }

    /// <summary>Decode steps (one batch each).</summary>
    public long Steps { get; }

    /// <summary>Tokens chosen.</summary>
    public long Tokens { get; }

    /// <summary>Total time per phase.</summary>
    public ImmutableDictionary<DecoderPhase, TimeSpan> Phases { get; }

    /// <summary>Microseconds per chosen token spent in <paramref name="phase"/>.</summary>
    public double MicrosecondsPerToken(DecoderPhase phase) =>
        Tokens == 0 || !Phases.TryGetValue(phase, out var total) ? 0 : total.TotalMicroseconds / Tokens;
}
