using System.Globalization;
using Agent.Llama.Gguf;

namespace Agent.Training.Tuning;

/// <summary>
/// Writes what a tuning run produces, each a GGUF llama.cpp loads: the merged model (every metadata key of the base
/// kept, the vocabulary replaced by the tuned one, LoRA merged into the weights, the tag rows in place), the
/// tag-extended base a LoRA adapter applies to, the adapter itself, and the vocabulary-only file the corpus is tokenized with.
/// </summary>
internal static class TunedModelWriter
{
    /// <summary>Base metadata, the tuned vocabulary, no tensors: enough for llama.cpp's vocab-only load.</summary>
    public static void WriteVocabularyOnly(string path, BaseModel model, TagTokenPlan plan)
    {
        using var writer = new GgufWriter();
        writer.CopyMetadata(model.File);
        SetVocabulary(writer, model, plan);
        writer.WriteToFile(path);
    }

    /// <summary>The tuned model: LoRA merged (W + alpha/r · B·A), tag rows added.</summary>
    public static void WriteMerged(string path, TuneGraph graph, GgufTensorType type, IReadOnlyDictionary<string, string> metadata) =>
        Write(path, graph, type, metadata, includeLora: true);

    /// <summary>The base with the trained tag rows and no LoRA: what the adapter GGUF applies to.</summary>
    public static void WriteTaggedBase(string path, TuneGraph graph, GgufTensorType type, IReadOnlyDictionary<string, string> metadata) =>
        Write(path, graph, type, metadata, includeLora: false);

    /// <summary>
    /// The LoRA adapter as llama.cpp reads it (llama-adapter.cpp): <c>general.type = adapter</c>, <c>adapter.type = lora</c>,
    /// <c>adapter.lora.alpha</c>, and for each adapted weight W [in, out] the pair <c>W.lora_a</c> [in, r] and
    /// <c>W.lora_b</c> [r, out] (ggml shapes), applied as W x + (alpha / r) · B (A x).
    /// </summary>
    public static void WriteAdapter(string path, TuneGraph graph)
    {
        var model = graph.Model;
        using var writer = new GgufWriter();
        writer.Set("general.architecture", model.Architecture.Name)
            .Set("general.type", "adapter")
            .Set("general.name", Path.GetFileNameWithoutExtension(path))
            .Set("adapter.type", "lora")
            .Set("adapter.lora.alpha", graph.Mode.Alpha);
        for (var layer = 0; layer < model.LayerCount; layer++)
        {
            foreach (var suffix in TuneGraph.AdaptedSuffixes)
            {
                var name = BaseModel.BlockName(layer, suffix);
                if (graph.TryGetLora(name, out var a, out var b))
                {
                    var shape = model.TensorShapes().First(t => t.Name == name).Shape;
                    writer.AddTensor(name + ".lora_a", a, [shape[0], graph.Mode.Rank]);
                    writer.AddTensor(name + ".lora_b", b, [graph.Mode.Rank, shape[1]]);
                }
            }
        }

        writer.WriteToFile(path);
    }

    private static void Write(string path, TuneGraph graph, GgufTensorType type, IReadOnlyDictionary<string, string> metadata, bool includeLora)
    {
        var model = graph.Model;
        using var writer = new GgufWriter();
        writer.CopyMetadata(model.File);
        SetVocabulary(writer, model, graph.Plan);
        writer.Set("general.file_type", FileType(type));
        foreach (var (key, value) in metadata)
        {
            writer.Set(key, value);
        }

        var trained = model.TensorShapes().ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        foreach (var info in model.File.Tensors)
        {
            float[] values;
            long[] shape;
            if (trained.ContainsKey(info.Name))
            {
                values = graph.Merged(info.Name, includeLora);
                shape = info.Name is "token_embd.weight" or "output.weight" ? [model.EmbeddingSize, graph.Plan.VocabSize] : [.. info.Shape];
            }
            else
            {
                values = model.Read(info.Name);
                shape = [.. info.Shape];
            }

            var stored = shape.Length >= 2 && shape[0] % BlockSize(type) == 0 ? type : GgufTensorType.F32;
            writer.AddTensor(info.Name, values, shape, stored);
        }

        writer.WriteToFile(path);
    }

    private static void SetVocabulary(GgufWriter writer, BaseModel model, TagTokenPlan plan)
    {
        writer.Set("tokenizer.ggml.tokens", plan.Tokens);
        writer.Set("tokenizer.ggml.token_type", plan.TokenTypes.ToArray().AsSpan());
        if (model.File.Metadata.TryGetValue("tokenizer.ggml.scores", out var s) && s is float[] scores)
        {
            var extended = new float[plan.VocabSize];
            scores.CopyTo(extended, 0);
            writer.Set("tokenizer.ggml.scores", extended.AsSpan());
        }

        var vocabKey = model.Architecture.Name + ".vocab_size";
        if (model.File.Metadata.ContainsKey(vocabKey))
        {
            writer.Set(vocabKey, (uint)plan.VocabSize);
        }

        writer.Set("agent.tune.base_vocab_size", plan.BaseVocabSize.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>llama.cpp's <c>enum llama_ftype</c> for a file whose weights are <paramref name="type"/>.</summary>
    private static uint FileType(GgufTensorType type) => type switch
    {
        GgufTensorType.F16 => 1u,
        GgufTensorType.Q8_0 => 7u,
        GgufTensorType.Q4_K => 15u,
        GgufTensorType.BF16 => 32u,
        _ => 0u,
    };

    private static int BlockSize(GgufTensorType type) => type switch
    {
        GgufTensorType.Q8_0 => 32,
        GgufTensorType.Q4_K => 256,
        _ => 1,
    };
}
