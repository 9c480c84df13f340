namespace Agent.Monitoring;

/// <summary>One text's embedding: mean-pooled over its word pieces and L2-normalised, as sentence-transformers does.</summary>
/// <param name="Vector">The unit-length vector; do not change it (it may be shared by a cache).</param>
/// <param name="Tokens">Word pieces read, special tokens included.</param>
/// <param name="TextTokens">Word pieces of the whole text, special tokens included; more than <paramref name="Tokens"/>
/// when the text was truncated.</param>
public sealed record TextEmbedding(float[] Vector, int Tokens, int TextTokens)
{
    /// <summary>Whether the text was longer than the encoder's window and only its beginning was read.</summary>
    public bool Truncated => TextTokens > Tokens;

    /// <summary>The cosine similarity of two embeddings (their dot product: both have unit length).</summary>
    /// <param name="other">Another embedding of the same encoder.</param>
    /// <returns>A value in [-1, 1].</returns>
    public double Similarity(TextEmbedding other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return System.Numerics.Tensors.TensorPrimitives.Dot<float>(Vector, other.Vector);
    }
}
