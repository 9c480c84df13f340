namespace Agent.TestSupport;

/// <summary>The shape of a tiny test model.</summary>
public sealed record TinyModelSpec
{
    /// <summary>Vocabulary size; the base vocabulary (256 bytes + merges + tags) is padded up to it.</summary>
    public int VocabSize { get; init; }

    /// <summary>Model width.</summary>
    public int EmbeddingSize { get; init; } = 64;

    /// <summary>Blocks.</summary>
    public int LayerCount { get; init; } = 2;

    /// <summary>Heads.</summary>
    public int HeadCount { get; init; } = 4;

    /// <summary>KV heads.</summary>
    public int HeadCountKv { get; init; } = 2;

    /// <summary>FFN width.</summary>
    public int FeedForwardSize { get; init; } = 128;

    /// <summary>Training context.</summary>
    public int ContextLength { get; init; } = 512;

    /// <summary>Weight seed.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Standard deviation of embedding and output weights (larger = peakier distributions).</summary>
    public float OutputScale { get; init; } = 0.5f;

    /// <summary>More control tokens (e.g. <c>&lt;angry&gt;</c>).</summary>
    public IReadOnlyList<string> ExtraControlTokens { get; init; } = [];

    /// <summary>A token text (e.g. <c>&lt;deceit&gt;</c>) made the most likely next token after any context, or null.</summary>
    public string? FavouredToken { get; init; }

    /// <summary>
    /// Bigram links (token text, next token text): after the first, the second becomes the most likely next token. Lets a
    /// test make a multi-token sequence (such as the bytes of <c>&lt;nsfw&gt;</c>) the greedy continuation.
    /// </summary>
    public IReadOnlyList<(string From, string To)> FavouredChain { get; init; } = [];

    /// <summary>
    /// More normal (text) tokens, e.g. a whole transcript line such as <c>call files.list {"path":"."}</c>: with
    /// <see cref="FavouredChain"/> a random-weight model can then generate a valid line greedily.
    /// </summary>
    public IReadOnlyList<string> ExtraTokens { get; init; } = [];

    /// <summary>Byte values left out of the vocabulary (so some text cannot be spelled).</summary>
    public IReadOnlyList<byte> OmittedBytes { get; init; } = [];

    /// <summary>Token texts (e.g. <c>&lt;deceit&gt;</c>) whose rows of <c>token_embd</c> and <c>output</c> are zero, as a token added and never trained.</summary>
    public IReadOnlyList<string> UntrainedTokens { get; init; } = [];

    /// <summary>The GGUF's <c>tokenizer.chat_template</c>, or null for none (add its delimiters with <see cref="ExtraControlTokens"/>).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Leave the mode and behaviour tags out of the vocabulary (a pretrained base that knows no tag); BOS and EOS stay.</summary>
    public bool WithoutTagTokens { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{(WithoutTagTokens ? "untagged-" : string.Empty)}{ChatTemplate?.GetHashCode(StringComparison.Ordinal)}-{string.Join(",", UntrainedTokens)}-{VocabSize}-{EmbeddingSize}-{LayerCount}-{HeadCount}-{HeadCountKv}-{FeedForwardSize}-{ContextLength}-{Seed}-{OutputScale}-{string.Join(",", ExtraControlTokens)}-{FavouredToken}-{string.Join(",", OmittedBytes)}-{string.Join(",", FavouredChain)}-{string.Join("\u0001", ExtraTokens)}";
}
