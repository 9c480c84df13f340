using System.Globalization;

namespace Agent.Llama.Gguf;

/// <summary>
/// The shape of a llama-architecture model, validated when constructed. <see cref="TensorShapes"/> lists every weight
/// with the name and ggml shape llama.cpp expects for <c>general.architecture = llama</c>.
/// </summary>
public sealed record LlamaHyperparameters
{
    /// <summary>Creates and validates the shape.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the heads do not divide the width, or the KV heads do not divide the heads.</exception>
    public LlamaHyperparameters(int vocabSize, int embeddingSize, int layerCount, int headCount, int headCountKv, int feedForwardSize, int contextLength,
        float rmsNormEpsilon = 1e-5f, float ropeFrequencyBase = 10000f)
    {
        foreach (var (name, value) in new[] { ("vocabSize", vocabSize), ("embeddingSize", embeddingSize), ("layerCount", layerCount), ("headCount", headCount), ("headCountKv", headCountKv), ("feedForwardSize", feedForwardSize), ("contextLength", contextLength) })
        {
            if (value <= 0)
            {
                throw new ArgumentException($"{name} must be positive, got {value}.", name);
            }
        }

        if (embeddingSize % headCount != 0)
        {
            throw new ArgumentException($"embeddingSize {embeddingSize} is not divisible by headCount {headCount}.", nameof(headCount));
        }

        if (headCount % headCountKv != 0)
        {
            throw new ArgumentException($"headCount {headCount} is not divisible by headCountKv {headCountKv}.", nameof(headCountKv));
        }

        if ((embeddingSize / headCount) % 2 != 0)
        {
            throw new ArgumentException($"The head size {embeddingSize / headCount} must be even for RoPE.", nameof(headCount));
        }

        VocabSize = vocabSize;
        EmbeddingSize = embeddingSize;
        LayerCount = layerCount;
        HeadCount = headCount;
        HeadCountKv = headCountKv;
        FeedForwardSize = feedForwardSize;
        ContextLength = contextLength;
        RmsNormEpsilon = rmsNormEpsilon;
        RopeFrequencyBase = ropeFrequencyBase;
    }

    /// <summary>Tokens in the vocabulary.</summary>
    public int VocabSize { get; }

    /// <summary>Model width.</summary>
    public int EmbeddingSize { get; }

    /// <summary>Transformer blocks.</summary>
    public int LayerCount { get; }

    /// <summary>Attention heads.</summary>
    public int HeadCount { get; }

    /// <summary>Key/value heads.</summary>
    public int HeadCountKv { get; }

    /// <summary>SwiGLU hidden width.</summary>
    public int FeedForwardSize { get; }

    /// <summary>Training context length.</summary>
    public int ContextLength { get; }

    /// <summary>RMSNorm epsilon.</summary>
    public float RmsNormEpsilon { get; }

    /// <summary>RoPE base frequency.</summary>
    public float RopeFrequencyBase { get; }

    /// <summary>Width of one head.</summary>
    public int HeadSize => EmbeddingSize / HeadCount;

    /// <summary>Width of K and V (all KV heads).</summary>
    public int KvSize => HeadSize * HeadCountKv;

    /// <summary>Every weight tensor: name and ggml shape (innermost dimension first).</summary>
    public IReadOnlyList<(string Name, long[] Shape)> TensorShapes()
    {
        var list = new List<(string, long[])>
        {
            ("token_embd.weight", [EmbeddingSize, VocabSize]),
            ("output_norm.weight", [EmbeddingSize]),
            ("output.weight", [EmbeddingSize, VocabSize]),
        };
        for (var layer = 0; layer < LayerCount; layer++)
        {
            var p = string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.");
            list.Add((p + "attn_norm.weight", [EmbeddingSize]));
            list.Add((p + "attn_q.weight", [EmbeddingSize, EmbeddingSize]));
            list.Add((p + "attn_k.weight", [EmbeddingSize, KvSize]));
            list.Add((p + "attn_v.weight", [EmbeddingSize, KvSize]));
            list.Add((p + "attn_output.weight", [EmbeddingSize, EmbeddingSize]));
            list.Add((p + "ffn_norm.weight", [EmbeddingSize]));
            list.Add((p + "ffn_gate.weight", [EmbeddingSize, FeedForwardSize]));
            list.Add((p + "ffn_up.weight", [EmbeddingSize, FeedForwardSize]));
            list.Add((p + "ffn_down.weight", [FeedForwardSize, EmbeddingSize]));
        }

        return list;
    }

    /// <summary>Total number of weights.</summary>
    public long ParameterCount => TensorShapes().Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
}
