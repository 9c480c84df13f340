namespace Agent.Llama.Gguf;

/// <summary>Writes a llama-architecture GGUF that llama.cpp loads: hyperparameters, vocabulary and F32 weights.</summary>
public static class LlamaModelWriter
{
    /// <summary>Writes the model.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="shape">Hyperparameters; its VocabSize must equal the vocabulary's size.</param>
    /// <param name="vocabulary">The tokenizer.</param>
    /// <param name="weights">Gives the values of each tensor by name and ggml shape, in row-major ggml order.</param>
    /// <param name="name">general.name.</param>
    /// <param name="extraMetadata">More string keys (for example the training recipe).</param>
    /// <exception cref="ArgumentException">The vocabulary size differs, or a weight has the wrong length.</exception>
    /// <exception cref="GgufException">The file cannot be written.</exception>
    public static void Write(string path, LlamaHyperparameters shape, GgufVocabulary vocabulary, Func<string, long[], float[]> weights,
        string name = "agent-model", IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(weights);
        if (shape.VocabSize != vocabulary.Tokens.Count)
        {
            throw new ArgumentException($"The shape says {shape.VocabSize} tokens but the vocabulary has {vocabulary.Tokens.Count}.", nameof(vocabulary));
        }

        using var writer = new GgufWriter();
        writer.Set("general.architecture", "llama")
            .Set("general.name", name)
            .Set("general.file_type", 0u)
            .Set("llama.vocab_size", (uint)shape.VocabSize)
            .Set("llama.context_length", (uint)shape.ContextLength)
            .Set("llama.embedding_length", (uint)shape.EmbeddingSize)
            .Set("llama.block_count", (uint)shape.LayerCount)
            .Set("llama.feed_forward_length", (uint)shape.FeedForwardSize)
            .Set("llama.attention.head_count", (uint)shape.HeadCount)
            .Set("llama.attention.head_count_kv", (uint)shape.HeadCountKv)
            .Set("llama.attention.layer_norm_rms_epsilon", shape.RmsNormEpsilon)
            .Set("llama.rope.dimension_count", (uint)shape.HeadSize)
            .Set("llama.rope.freq_base", shape.RopeFrequencyBase)
            .Set("tokenizer.ggml.model", "gpt2")
            .Set("tokenizer.ggml.pre", vocabulary.PreTokenizer)
            .Set("tokenizer.ggml.tokens", vocabulary.Tokens)
            .Set("tokenizer.ggml.token_type", vocabulary.TokenTypes.ToArray().AsSpan())
            .Set("tokenizer.ggml.merges", vocabulary.Merges)
            .Set("tokenizer.ggml.bos_token_id", (uint)vocabulary.BosId)
            .Set("tokenizer.ggml.eos_token_id", (uint)vocabulary.EosId)
            .Set("tokenizer.ggml.add_bos_token", vocabulary.AddBos)
            .Set("tokenizer.ggml.add_eos_token", false);
        if (extraMetadata is not null)
        {
            foreach (var (key, value) in extraMetadata)
            {
                writer.Set(key, value);
            }
        }

        foreach (var (tensorName, tensorShape) in shape.TensorShapes())
        {
            writer.AddTensor(tensorName, weights(tensorName, tensorShape), tensorShape);
        }

        writer.WriteToFile(path);
    }
}
