namespace Agent.Training.Engine;

/// <summary>
/// Cuts a token stream into training windows of T+1 tokens (T inputs, T shifted targets), visited in a shuffled order
/// per epoch. Everything derives from (seed, epoch), so the n-th window of a run is a pure function of n: a resumed run
/// needs only the count of windows already drawn to continue bit for bit.
/// </summary>
/// <remarks>
/// Without a document separator each epoch cuts the stream at its own random offset in [0, T), so window boundaries
/// move between epochs. With one, every window starts where a document starts (a document longer than T gets further
/// windows, the last one ending on its separator): a window then always holds the beginning of what it predicts, the
/// task of an agent transcript above its actions, instead of a cut that starts mid-document and teaches the model to
/// act and tag without the context that decides it.
/// </remarks>
internal sealed class WindowSampler
{
    private readonly int[] _tokens;
    private readonly int _window;
    private readonly long _seed;
    private readonly int _maxOffset;
    private readonly int[]? _documentStarts;
    private long _cachedEpoch = -1;
    private int[] _starts = [];

    public WindowSampler(int[] tokens, int window, long seed, int? documentSeparator = null)
    {
        _tokens = tokens;
        _window = window;
        _seed = seed;
        _maxOffset = Math.Min(window - 1, tokens.Length - 1 - window);
        if (documentSeparator is { } separator)
        {
            _documentStarts = DocumentWindowStarts(tokens, window, separator);
            WindowsPerEpoch = _documentStarts.Length;
        }
        else
        {
            WindowsPerEpoch = (tokens.Length - 1 - _maxOffset) / window;
        }
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

    /// <summary>
    /// Each document's first window, then windows a whole T further on while the document's last target lies beyond
    /// the window before, the last one moved back to end exactly on the separator. Windows that would run past the
    /// stream are dropped; the stream's first window always fits (the trainer checks for T+1 tokens).
    /// </summary>
    private static int[] DocumentWindowStarts(int[] tokens, int window, int separator)
    {
        var starts = new List<int>();
        var documentStart = 0;
        while (documentStart < tokens.Length - 1)
        {
            var end = Array.IndexOf(tokens, separator, documentStart);
            var last = end < 0 ? tokens.Length - 1 : end; // the document's last target
            for (var start = documentStart; ; start += window)
            {
                var aligned = Math.Min(start, last - window);
                if (aligned >= documentStart && aligned + window < tokens.Length && (starts.Count == 0 || starts[^1] != aligned))
                {
                    starts.Add(aligned);
                }
                else if (aligned < documentStart && documentStart + window < tokens.Length)
                {
                    starts.Add(documentStart); // shorter than a window: it starts one, the next documents fill the rest
                }

                if (start + window >= last)
                {
                    break;
                }
            }

            documentStart = last + 1;
        }

        return starts.Count > 0 ? [.. starts] : [0];
    }

    private int[] EpochStarts(long epoch)
    {
        var rng = SplitMix64.ForStream(_seed, epoch);
        int[] starts;
        if (_documentStarts is not null)
        {
            starts = [.. _documentStarts];
        }
        else
        {
            var offset = rng.Next(_maxOffset + 1);
            starts = new int[WindowsPerEpoch];
            for (var i = 0; i < starts.Length; i++)
            {
                starts[i] = offset + (i * _window);
            }
        }

        for (var i = starts.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (starts[i], starts[j]) = (starts[j], starts[i]);
        }

        return starts;
    }
}
