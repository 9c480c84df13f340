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
    private readonly bool _readsEarlierCalls;
    private readonly bool _readsAttribution;
    private readonly EmbeddingCache _cache = new(CachedTexts);

    public EncoderTagClassifier(string weightsPath, ITextEncoder encoder, bool ownsEncoder, IEnumerable<LogisticHead> heads)
    {
        WeightsPath = weightsPath;
        _encoder = encoder;
        _ownsEncoder = ownsEncoder;
        _heads = [.. heads];
        _callHeads = [.. _heads.Where(h => h.Kind == ActionKind.Call)];
        _readsEarlierCalls = _heads.Any(h => h.Mean.Length > PairFeatures.Length(encoder.Dimension, PairFeatures.AttributionLayout));
        _readsAttribution = _heads.Any(h => h.Mean.Length > PairFeatures.Length(encoder.Dimension, PairFeatures.PairLayout));
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
        var features = Features(input, context, action, text => _cache.GetOrEncode(text, _encoder.Encode));
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

    /// <summary>
    /// The features this classifier's heads read for <paramref name="input"/>: the attribution values and the earlier-call
    /// risk are computed only when the heads are of a layout that reads them (an older file's heads read the prefix without
    /// them).
    /// </summary>
    /// <param name="input">The action with its context.</param>
    /// <param name="context">The embedding of the input's context.</param>
    /// <param name="action">The embedding of the input's action.</param>
    /// <param name="embed">Where further embeddings (the task and the earlier calls) come from.</param>
    public float[] Features(ClassifierInput input, TextEmbedding context, TextEmbedding action, Func<string, TextEmbedding> embed)
    {
        var risk = _readsEarlierCalls ? EarlierCalls.Risk(input, _callHeads, embed) : 0;
        return PairFeatures.Build(context.Vector, action.Vector, input, risk, _readsAttribution);
    }

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
