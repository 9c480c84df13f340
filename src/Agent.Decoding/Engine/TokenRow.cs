namespace Agent.Decoding.Engine;

/// <summary>
/// What a per-token probe reads at one step of one sequence, in generation and in score mode alike: the raw logits
/// (before bans and biases) of the next token, their log-sum-exp, where the row sits in the decoded batch (for a probe
/// that reads the context's embeddings of that row), and the sequence and position of the token the row predicts.
/// </summary>
internal readonly ref struct TokenRow(ReadOnlySpan<float> logits, double logSumExp, int batchIndex, int sequence, int position)
{
    /// <summary>The raw logits.</summary>
    public ReadOnlySpan<float> Logits { get; } = logits;

    /// <summary>The log-sum-exp of <see cref="Logits"/>.</summary>
    public double LogSumExp { get; } = logSumExp;

    /// <summary>The row's index in the batch just decoded.</summary>
    public int BatchIndex { get; } = batchIndex;

    /// <summary>The sequence id.</summary>
    public int Sequence { get; } = sequence;

    /// <summary>The position of the token this row predicts.</summary>
    public int Position { get; } = position;
}
