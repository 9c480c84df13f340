using Agent.Llama;
using Agent.Llama.Ggml;
using Agent.Llama.Gguf;
using Agent.Training.Tuning;

namespace Agent.Training.Tests.Tuning;

public class TuneGraphTests
{
    [Fact]
    public void Logits_TiedQwen2BaseWithBiases_MatchLlamaCppOnTheWrittenModel()
    {
        var work = TuneFixtures.TempDirectory();
        var qwen = Path.Combine(work, "qwen2.gguf");
        WriteQwen2(TuneFixtures.BasePath, qwen);
        var output = Path.Combine(work, "tagged.gguf");

        using var model = BaseModel.Open(qwen);
        Assert.True(model.Tied);
        Assert.True(model.Architecture.HasQkvBias);
        var plan = TagTokenPlan.Create(model.Tokens, model.TokenTypes, TagTuner.CoreTags, qwen);
        using var backend = GgmlBackend.Cpu(2);
        using var graph = new TuneGraph(model, plan, TuneMode.Default, backend, seed: 3);
        TunedModelWriter.WriteMerged(output, graph, GgufTensorType.F32, new Dictionary<string, string>());

        using var tuned = LlamaModel.Load(output);
        Assert.Equal("qwen2", tuned.Architecture);
        var prompt = tuned.Vocab.Tokenize("<mode1>task Count the files.\n<mode2>call", addSpecial: false, parseSpecial: true);
        var expected = TuneFixtures.LastLogits(tuned, prompt);
        var all = graph.Logits(backend, [.. prompt.Select(t => t.Value)], prompt.Length);
        var ours = all.AsSpan((prompt.Length - 1) * plan.VocabSize, plan.VocabSize).ToArray();

        var worst = expected.Zip(ours).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < 1e-3, $"largest logit difference {worst}");
    }

    [Fact]
    public void AddLowRank_AddsScaledBTimesAToEachRow()
    {
        // W [in 3, out 2], A [in 3, r 1], B [r 1, out 2]: W[o, i] += s · B[o] · A[i].
        float[] weight = [1, 2, 3, 4, 5, 6];
        float[] a = [1, 0, -1];
        float[] b = [2, 3];

        TuneGraph.AddLowRank(weight, a, b, [3, 2], rank: 1, scale: 0.5f);

        Assert.Equal([2f, 2f, 2f, 5.5f, 5f, 4.5f], weight);
    }

    /// <summary>The llama base as a qwen2 GGUF: keys renamed, output tied to the embedding, small seeded q/k/v biases added.</summary>
    private static void WriteQwen2(string source, string destination)
    {
        using var file = GgufFile.Open(source);
        using var writer = new GgufWriter();
        writer.CopyMetadata(file, file.Metadata.Keys.Where(k => k.StartsWith("llama.", StringComparison.Ordinal)));
        writer.Set("general.architecture", "qwen2");
        foreach (var (key, value) in file.Metadata.Where(kv => kv.Key.StartsWith("llama.", StringComparison.Ordinal)))
        {
            var name = "qwen2." + key["llama.".Length..];
            _ = value switch
            {
                uint u => writer.Set(name, u),
                float f => writer.Set(name, f),
                _ => writer,
            };
        }

        var random = new Random(9);
        foreach (var tensor in file.Tensors.Where(t => t.Name != "output.weight"))
        {
            writer.AddTensor(tensor.Name, file.ReadTensorAsF32(tensor.Name), [.. tensor.Shape]);
            if (tensor.Name.EndsWith("attn_q.weight", StringComparison.Ordinal) || tensor.Name.EndsWith("attn_k.weight", StringComparison.Ordinal)
                || tensor.Name.EndsWith("attn_v.weight", StringComparison.Ordinal))
            {
                var bias = Enumerable.Range(0, (int)tensor.Shape[1]).Select(_ => (float)((random.NextDouble() - 0.5) * 0.2)).ToArray();
                writer.AddTensor(tensor.Name.Replace(".weight", ".bias", StringComparison.Ordinal), bias, [tensor.Shape[1]]);
            }
        }

        writer.WriteToFile(destination);
    }
}
