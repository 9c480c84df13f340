using System.Text.RegularExpressions;
using Agent.Llama.Gguf;

namespace Agent.Training.Tuning;

/// <summary>
/// Where each tag token (<c>&lt;name&gt;</c> and <c>&lt;/name&gt;</c> of every mode and behaviour tag) lives in the tuned
/// vocabulary: kept (the base already has it as a control token), reused (one of the base's reserved, never-trained
/// special tokens such as Llama 3's <c>&lt;|reserved_special_token_N|&gt;</c>, renamed), or added after the last token.
/// Reused and added tokens are the <see cref="NewIds"/>: their rows of the embedding and output are trained from a
/// fresh start; kept ones train as any other row would.
/// </summary>
internal sealed partial class TagTokenPlan
{
    private TagTokenPlan(IReadOnlyList<string> tokens, IReadOnlyList<int> types, IReadOnlyList<int> newIds, IReadOnlyList<string> kept, IReadOnlyList<string> reused,
        IReadOnlyList<string> added, int baseVocabSize)
    {
        Tokens = tokens;
        TokenTypes = types;
        NewIds = newIds;
        Kept = kept;
        Reused = reused;
        Added = added;
        BaseVocabSize = baseVocabSize;
    }

    /// <summary>The tuned vocabulary's token texts.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The tuned vocabulary's token types (<see cref="GgufVocabulary.Control"/> for every tag token).</summary>
    public IReadOnlyList<int> TokenTypes { get; }

    /// <summary>Ids whose rows start fresh: reused and added tag tokens, in tag order.</summary>
    public IReadOnlyList<int> NewIds { get; }

    /// <summary>Tag tokens the base already had.</summary>
    public IReadOnlyList<string> Kept { get; }

    /// <summary>Tag tokens that took over a reserved special token.</summary>
    public IReadOnlyList<string> Reused { get; }

    /// <summary>Tag tokens appended to the vocabulary.</summary>
    public IReadOnlyList<string> Added { get; }

    /// <summary>The base's vocabulary size.</summary>
    public int BaseVocabSize { get; }

    /// <summary>The tuned vocabulary's size.</summary>
    public int VocabSize => Tokens.Count;

    /// <summary>Plans the tag tokens of <paramref name="tags"/> (names without brackets) over a base vocabulary.</summary>
    /// <exception cref="UnsupportedBaseModelException">The base has a tag's text as an ordinary (non-control) token.</exception>
    public static TagTokenPlan Create(IReadOnlyList<string> tokens, IReadOnlyList<int> types, IEnumerable<string> tags, string path)
    {
        var texts = tags.SelectMany(t => new[] { $"<{t}>", $"</{t}>" }).Distinct(StringComparer.Ordinal).ToList();
        var newTokens = tokens.ToList();
        var newTypes = types.ToList();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            index.TryAdd(tokens[i], i);
        }

        var reserved = new Queue<int>(Enumerable.Range(0, tokens.Count).Where(i => ReservedToken().IsMatch(tokens[i])));
        var kept = new List<string>();
        var reused = new List<string>();
        var added = new List<string>();
        var newIds = new List<int>();
        foreach (var text in texts)
        {
            if (index.TryGetValue(text, out var id))
            {
                if (types[id] != GgufVocabulary.Control)
                {
                    throw new UnsupportedBaseModelException(
                        $"'{path}' has '{text}' as an ordinary token (type {types[id]}), not a control token; the gate could not tell the tag from text that spells it. Tune another base.");
                }

                kept.Add(text);
                continue;
            }

            if (reserved.TryDequeue(out var slot))
            {
                newTokens[slot] = text;
                newTypes[slot] = GgufVocabulary.Control;
                reused.Add(text);
                newIds.Add(slot);
                continue;
            }

            newIds.Add(newTokens.Count);
            newTokens.Add(text);
            newTypes.Add(GgufVocabulary.Control);
            added.Add(text);
        }

        return new TagTokenPlan(newTokens, newTypes, newIds, kept, reused, added, tokens.Count);
    }

    /// <summary>Llama 3's reserved special tokens (trained never, safe to take over).</summary>
    [GeneratedRegex(@"^<\|reserved_special_token_\d+\|>$", RegexOptions.CultureInvariant)]
    private static partial Regex ReservedToken();
}
