using System.Collections.Immutable;
using System.Diagnostics;

namespace Agent.Decoding;

/// <summary>Stopwatch ticks per <see cref="DecoderPhase"/>; a no-op unless enabled. Touched by one thread at a time (the one stepping).</summary>
internal sealed class PhaseClock(bool enabled)
{
    private static readonly int PhaseCount = Enum.GetValues<DecoderPhase>().Length;
    private readonly Lock _gate = new();
    private long[] _ticks = new long[PhaseCount];
    private long _steps;
    private long _tokens;
    private long _mark;

    public bool Enabled { get; } = enabled;

    /// <summary>Starts timing from now.</summary>
    public void Start()
    {
        if (Enabled)
        {
            _mark = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Charges the time since the last mark to <paramref name="phase"/> and marks now.</summary>
    public void Lap(DecoderPhase phase)
    {
        if (Enabled)
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _ticks[(int)phase] += now - _mark;
            }

            _mark = now;
        }
    }

    public void CountStep()
    {
        if (Enabled)
        {
            Interlocked.Increment(ref _steps);
        }
    }

    public void CountToken()
    {
        if (Enabled)
        {
            Interlocked.Increment(ref _tokens);
        }
    }

    public DecoderProfile Take()
    {
        long[] ticks;
        lock (_gate)
        {
            ticks = _ticks;
            _ticks = new long[PhaseCount];
        }

        var phases = ImmutableDictionary.CreateBuilder<DecoderPhase, TimeSpan>();
        for (var i = 0; i < ticks.Length; i++)
        {
            phases[(DecoderPhase)i] = Stopwatch.GetElapsedTime(0, ticks[i]);
        }

        return new DecoderProfile(Interlocked.Exchange(ref _steps, 0), Interlocked.Exchange(ref _tokens, 0), phases.ToImmutable());
    }
}
