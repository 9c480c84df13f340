using Agent.Decoding;
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

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public void ModeLogits_TheSidecarOverLlamaCppEmbeddingsOfTheWrittenModel_GivesTheGraphsProbabilities(int hidden)
    {
        // The head reads in llama.cpp what it was trained on in the tune graph: the same final hidden state, the same
        // silu hidden layer. Random head weights (the output layer starts at zero), so the test does not hang on training.
        // 1e-3 as for the logits above: the graph and llama.cpp sum in different orders (about 1e-4 apart here).
        var work = TuneFixtures.TempDirectory();
        var output = Path.Combine(work, "tagged.gguf");
        using var model = BaseModel.Open(TuneFixtures.BasePath);
        var plan = TagTokenPlan.Create(model.Tokens, model.TokenTypes, TagTuner.CoreTags, TuneFixtures.BasePath);
        using var backend = GgmlBackend.Cpu(2);
        using var graph = new TuneGraph(model, plan, TuneMode.Default, backend, seed: 3, modeHead: true, modeHidden: hidden);
        var random = new Random(4);
        foreach (var (name, tensor) in graph.Trainable.Where(t => t.Name is TuneGraph.ModeHeadWeight or TuneGraph.ModeHeadBias))
        {
            tensor.SetData(Enumerable.Range(0, (int)tensor.ElementCount).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
        }

        TunedModelWriter.WriteMerged(output, graph, GgufTensorType.F32, new Dictionary<string, string>());
        var (weights, bias, hiddenWeights, hiddenBias) = graph.ReadModeHead();
        ModeHead.Write(output, weights, bias, hiddenWeights, hiddenBias);
        var head = ModeHead.TryLoad(output)!;
        Assert.Equal(hidden, head.HiddenSize);

        using var tuned = LlamaModel.Load(output);
        var prompt = tuned.Vocab.Tokenize("<mode1>task Count the files.\n<mode2>call shell.run", addSpecial: false, parseSpecial: true);
        var logits = graph.ModeLogits(backend, [.. prompt.Select(t => t.Value)], prompt.Length);
        using var context = LlamaContext.Create(tuned, new LlamaContextOptions { ContextSize = 128, Threads = 2, Embeddings = true });
        using var batch = new LlamaBatch(128);
        for (var i = 0; i < prompt.Length; i++)
        {
            batch.Add(prompt[i], new LlamaPos(i), new LlamaSeqId(0), true);
        }

        context.Decode(batch);
        var probabilities = new List<double>();
        for (var i = 0; i < prompt.Length; i++)
        {
            var expected = 1.0 / (1.0 + Math.Exp(logits[(2 * i) + 0] - logits[(2 * i) + 1]));
            var actual = head.AgentProbability(context.GetEmbeddings(i));
            Assert.True(Math.Abs(expected - actual) < 1e-3, $"token {i}: the graph gives p(mode2) {expected:F6}, the sidecar over llama.cpp's embedding {actual:F6}");
            probabilities.Add(actual);
        }

        Assert.True(probabilities.Max() - probabilities.Min() > 0.01, "the head gives every token the same p(mode2); the test could not fail");
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
