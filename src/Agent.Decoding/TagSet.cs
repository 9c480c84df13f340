using Agent.Llama;

namespace Agent.Decoding;

/// <summary>The configured tags resolved against one model's vocabulary, in a fixed order (modes first).</summary>
public sealed class TagSet
{
    private readonly Dictionary<string, ResolvedTag> _byName;

    private TagSet(IReadOnlyList<ResolvedTag> tags)
    {
        Tags = tags;
        _byName = tags.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>All tags, in trace-column order.</summary>
    public IReadOnlyList<ResolvedTag> Tags { get; }

    /// <summary>The number of tags.</summary>
    public int Count => Tags.Count;

    /// <summary>Resolves every configured tag against the vocabulary.</summary>
    /// <exception cref="UnknownTagException">A tag's text cannot be spelled by this vocabulary.</exception>
    public static TagSet Resolve(LlamaVocab vocab, TagOptions options)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(options);
        var tags = new List<ResolvedTag>();
        foreach (var name in options.Modes)
        {
            tags.Add(ResolveOne(vocab, name, TagKind.Mode, tags.Count));
        }

        foreach (var name in options.Behaviours)
        {
            tags.Add(ResolveOne(vocab, name, TagKind.Behaviour, tags.Count));
        }

        return new TagSet(tags);
    }

    /// <summary>The tag of a name (without brackets).</summary>
    /// <exception cref="UnknownTagException">No configured tag has that name.</exception>
    public ResolvedTag this[string name] => _byName.TryGetValue(Normalize(name), out var tag)
        ? tag
        : throw new UnknownTagException($"Unknown tag '{name}'. Configured tags (Tags section): {string.Join(", ", Tags.Select(t => t.Name))}.");

    /// <summary>Whether a tag of that name is configured.</summary>
    public bool Contains(string name) => _byName.ContainsKey(Normalize(name));

    /// <summary>Accepts <c>deceit</c> or <c>&lt;deceit&gt;</c>.</summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        return trimmed.StartsWith('<') && trimmed.EndsWith('>') ? trimmed[1..^1].TrimStart('/') : trimmed;
    }

    private static ResolvedTag ResolveOne(LlamaVocab vocab, string name, TagKind kind, int index) =>
        new(name, kind, index, Spell(vocab, "<" + name + ">"), Spell(vocab, "</" + name + ">"));

    private static LlamaToken[] Spell(LlamaVocab vocab, string text)
    {
        if (vocab.FindToken(text) is { } single)
        {
            return [single];
        }

        var tokens = vocab.Tokenize(text, addSpecial: false, parseSpecial: false);
        if (tokens.Length == 0 || vocab.Detokenize(tokens, removeSpecial: false, unparseSpecial: false) != text)
        {
            throw new UnknownTagException(
                $"Tag text '{text}' is not a token of this model and cannot be spelled with its vocabulary. Remove the tag from the Tags section or use a model that knows it.");
        }

        return tokens;
    }
}
