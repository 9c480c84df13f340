namespace Agent.Training.Engine;

/// <summary>
/// Cuts a token stream into training windows of T+1 tokens (T inputs, T shifted targets). Each epoch starts at its own
/// random offset in [0, T) (so window boundaries move between epochs instead of always being aligned) and visits that
/// epoch's windows in a shuffled order. Everything derives from (seed, epoch), so the n-th window of a run is a pure
/// function of n: a resumed run needs only the count of windows already drawn to continue bit for bit.
/// </summary>
internal sealed class WindowSampler
{
    private readonly int[] _tokens;
    private readonly int _window;
    private readonly long _seed;
    private readonly int _maxOffset;
    private long _cachedEpoch = -1;
    private int[] _starts = [];

    public WindowSampler(int[] tokens, int window, long seed)
    {
        _tokens = tokens;
        _window = window;
        _seed = seed;
        _maxOffset = Math.Min(window - 1, tokens.Length - 1 - window);
        WindowsPerEpoch = (tokens.Length - 1 - _maxOffset) / window;
    }

    public int WindowsPerEpoch { get; }

    /// <summary>Window number <paramref name="index"/> of the run (0-based, across epochs): T inputs and T targets.</summary>
    public void Window(long index, Span<int> inputs, Span<int> targets)
    {
        var epoch = index / WindowsPerEpoch;
        if (epoch != _cachedEpoch)
        {
            _starts = EpochStarts(epoch);
            _cachedEpoch = epoch;
        }

        var start = _starts[(int)(index % WindowsPerEpoch)];
        _tokens.AsSpan(start, _window).CopyTo(inputs);
        _tokens.AsSpan(start + 1, _window).CopyTo(targets);
    }

    private int[] EpochStarts(long epoch)
    {
        var rng = SplitMix64.ForStream(_seed, epoch);
        var offset = rng.Next(_maxOffset + 1);
        var starts = new int[WindowsPerEpoch];
        for (var i = 0; i < starts.Length; i++)
        {
            starts[i] = offset + (i * _window);
        }

        for (var i = starts.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (starts[i], starts[j]) = (starts[j], starts[i]);
        }

        return starts;
    }
}
