namespace Agent.Llama.Gguf;

/// <summary>
/// A byte-level BPE vocabulary as llama.cpp reads it (<c>tokenizer.ggml.model = gpt2</c>): tokens spelled in
/// <see cref="Gpt2ByteEncoding"/>, their types (1 normal, 3 control), merges in rank order ("left right").
/// </summary>
public sealed record GgufVocabulary
{
    /// <summary>Token type: normal text.</summary>
    public const int Normal = 1;

    /// <summary>Token type: control (tags, BOS, EOS).</summary>
    public const int Control = 3;

    /// <summary>Creates and validates a vocabulary.</summary>
    /// <exception cref="ArgumentException">Lengths differ, a special id is out of range, or a token repeats.</exception>
    public GgufVocabulary(IReadOnlyList<string> tokens, IReadOnlyList<int> tokenTypes, IReadOnlyList<string> merges, int bosId, int eosId,
        string preTokenizer = "gpt-2", bool addBos = false)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(tokenTypes);
        ArgumentNullException.ThrowIfNull(merges);
        if (tokens.Count == 0 || tokens.Count != tokenTypes.Count)
        {
            throw new ArgumentException($"tokens ({tokens.Count}) and tokenTypes ({tokenTypes.Count}) must be non-empty and of equal length.", nameof(tokenTypes));
        }

        if ((uint)bosId >= (uint)tokens.Count || (uint)eosId >= (uint)tokens.Count)
        {
            throw new ArgumentException($"bos {bosId} / eos {eosId} must be token ids below {tokens.Count}.", nameof(bosId));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tokens)
        {
            if (!seen.Add(t))
            {
                throw new ArgumentException($"Token '{t}' appears twice.", nameof(tokens));
            }
        }

        Tokens = tokens;
        TokenTypes = tokenTypes;
        Merges = merges;
        BosId = bosId;
        EosId = eosId;
        PreTokenizer = preTokenizer;
        AddBos = addBos;
    }

    /// <summary>Token texts.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Token types.</summary>
    public IReadOnlyList<int> TokenTypes { get; }

    /// <summary>BPE merges.</summary>
    public IReadOnlyList<string> Merges { get; }

    /// <summary>Beginning-of-sequence id.</summary>
    public int BosId { get; }

    /// <summary>End-of-sequence id.</summary>
    public int EosId { get; }

    /// <summary>llama.cpp pre-tokenizer name.</summary>
    public string PreTokenizer { get; }

    /// <summary>Whether tokenizing with add_special prepends BOS.</summary>
    public bool AddBos { get; }
}
