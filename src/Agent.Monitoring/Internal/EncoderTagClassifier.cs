using System.Collections.Immutable;

namespace Agent.Monitoring.Internal;

/// <summary>The classifier: one encoder, one logistic head per tag, and a small cache of embeddings by text.</summary>
internal sealed class EncoderTagClassifier : ITagClassifier
{
    /// <summary>Texts kept: a run's task and last tool result, and the calls it repeats, many times over.</summary>
    public const int CachedTexts = 256;

    private readonly ITextEncoder _encoder;
    private readonly bool _ownsEncoder;
    private readonly ImmutableArray<LogisticHead> _heads;
    private readonly List<LogisticHead> _callHeads;
    private readonly EmbeddingCache _cache = new(CachedTexts);

    public EncoderTagClassifier(string weightsPath, ITextEncoder encoder, bool ownsEncoder, IEnumerable<LogisticHead> heads)
    {
        WeightsPath = weightsPath;
        _encoder = encoder;
        _ownsEncoder = ownsEncoder;
        _heads = [.. heads];
        _callHeads = [.. _heads.Where(h => h.Kind == ActionKind.Call)];
        Heads = [.. _heads.Select(h => new TagHeadInfo(h.Tag, h.Kind, h.Threshold))];
    }

    public string WeightsPath { get; }

    public ImmutableArray<TagHeadInfo> Heads { get; }

    public TagScores Score(ClassifierInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var heads = _heads.Where(h => h.Kind == input.Kind).ToList();
        if (heads.Count == 0)
        {
            // No head reads this kind of action: nothing to encode.
            return new TagScores(ImmutableDictionary<string, double>.Empty.WithComparers(StringComparer.Ordinal), [], false, false);
        }

        var context = _cache.GetOrEncode(input.Context, _encoder.Encode);
        var action = _cache.GetOrEncode(input.Action, _encoder.Encode);
        // Only heads of the current layout read the earlier calls (an older file's heads read the prefix without them).
        var risk = heads.Any(h => h.Mean.Length > PairFeatures.Length(context.Vector.Length, PairFeatures.PairLayout))
            ? EarlierCalls.Risk(input, _callHeads, text => _cache.GetOrEncode(text, _encoder.Encode))
            : 0;
        var features = PairFeatures.Build(context.Vector, action.Vector, input, risk);
        var probabilities = ImmutableDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
        var flagged = ImmutableArray.CreateBuilder<string>();
        foreach (var head in heads)
        {
            var p = head.Probability(features);
            probabilities[head.Tag] = p;
            if (p >= head.Threshold)
            {
                flagged.Add(head.Tag);
            }
        }

        return new TagScores(probabilities.ToImmutable(), flagged.ToImmutable(), context.Truncated, action.Truncated);
    }

    /// <summary>Whether this classifier reads <paramref name="encoder"/> (so a caller may pass features built from its embeddings).</summary>
    public bool Reads(ITextEncoder encoder) => ReferenceEquals(_encoder, encoder);

    /// <summary>The call heads, which <see cref="EarlierCalls.Risk"/> reads.</summary>
    public IReadOnlyList<LogisticHead> CallHeads => _callHeads;

    /// <summary>The probability of one head on features built by <see cref="PairFeatures.Build"/>.</summary>
    public double Probability(string tag, ReadOnlySpan<float> features) => _heads.First(h => h.Tag == tag).Probability(features);

    public void Dispose()
    {
        if (_ownsEncoder)
        {
            _encoder.Dispose();
        }
    }
}
