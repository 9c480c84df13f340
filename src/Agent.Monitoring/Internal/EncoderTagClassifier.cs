using System.Collections.Immutable;

namespace Agent.Monitoring.Internal;

/// <summary>The classifier: one encoder, one logistic head per tag.</summary>
internal sealed class EncoderTagClassifier : ITagClassifier
{
    private readonly ITextEncoder _encoder;
    private readonly bool _ownsEncoder;
    private readonly ImmutableArray<LogisticHead> _heads;

    public EncoderTagClassifier(string weightsPath, ITextEncoder encoder, bool ownsEncoder, IEnumerable<LogisticHead> heads)
    {
        WeightsPath = weightsPath;
        _encoder = encoder;
        _ownsEncoder = ownsEncoder;
        _heads = [.. heads];
        Heads = [.. _heads.Select(h => new TagHeadInfo(h.Tag, h.Kind, h.Threshold))];
    }

    public string WeightsPath { get; }

    public ImmutableArray<TagHeadInfo> Heads { get; }

    public TagScores Score(ClassifierInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var context = _encoder.Encode(input.Context);
        var action = _encoder.Encode(input.Action);
        var features = PairFeatures.Build(context.Vector, action.Vector);
        var probabilities = ImmutableDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
        var flagged = ImmutableArray.CreateBuilder<string>();
        foreach (var head in _heads.Where(h => h.Kind == input.Kind))
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
