using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// One generation's constraints compiled for one step: the logit edits (bans of opening tokens, the other modes' tags
/// under a required mode, the closing token of a require-inside tag, biases, the tag guard's exclusions) and the banned
/// multi-token sequences the <see cref="TagGuard"/> watches. Both are rebuilt at every step from the constraints in
/// force, so a change between two tokens applies to the very next one; the collections are reused from step to step.
/// </summary>
internal sealed class StepConstraints(TagSet tags, IReadOnlyList<bool> bannableByFirstToken)
{
    private readonly Dictionary<int, float> _edits = [];
    private readonly List<IReadOnlyList<LlamaToken>> _bannedSequences = [];

    /// <summary>This step's edits: token id to its new logit.</summary>
    public IReadOnlyDictionary<int, float> Edits => _edits;

    /// <summary>This step's banned multi-token sequences.</summary>
    public IReadOnlyList<IReadOnlyList<LlamaToken>> BannedSequences => _bannedSequences;

    /// <summary>
    /// Per tag, whether banning its opening's first token bans the tag: a single-token tag, or one whose first token
    /// already spells the whole tag name. Computed once per decoder.
    /// </summary>
    public static bool[] BannableByFirstToken(TagSet tags, LlamaVocab vocab)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(vocab);
        var result = new bool[tags.Count];
        foreach (var tag in tags.Tags)
        {
            var first = vocab.TokenToPiece(tag.OpenToken, special: true);
            result[tag.Index] = tag.Open.Count == 1
                || (first.Length >= tag.OpenText.Length - 1 && tag.OpenText.StartsWith(first, StringComparison.Ordinal));
        }

        return result;
    }

    /// <summary>Compiles <paramref name="constraints"/> against this step's raw logits (biases add to them).</summary>
    public void Compile(DecodingConstraints constraints, ReadOnlySpan<float> raw, IReadOnlySet<int>? exclusions)
    {
        _edits.Clear();
        _bannedSequences.Clear();
        foreach (var tag in tags.Tags)
        {
            var rule = constraints.RuleFor(tag.Name);
            var banOpen = rule.Rule == TagRule.Ban
                || (tag.Kind == TagKind.Mode && constraints.RequiredMode is { } mode && mode != tag.Name);
            if (banOpen)
            {
                if (bannableByFirstToken[tag.Index])
                {
                    _edits[tag.OpenToken.Value] = float.NegativeInfinity;
                }
                else
                {
                    _bannedSequences.Add(tag.Open);
                }
            }
            else if (rule.Rule == TagRule.Bias)
            {
                var token = tag.OpenToken.Value;
                _edits[token] = (_edits.TryGetValue(token, out var current) ? current : raw[token]) + rule.Bias;
            }
            else if (rule.Rule == TagRule.RequireInside)
            {
                if (tag.Close.Count == 1)
                {
                    _edits[tag.Close[0].Value] = float.NegativeInfinity;
                }
                else
                {
                    _bannedSequences.Add(tag.Close);
                }
            }
        }

        if (exclusions is not null)
        {
            foreach (var token in exclusions)
            {
                _edits[token] = float.NegativeInfinity;
            }
        }
    }
}
