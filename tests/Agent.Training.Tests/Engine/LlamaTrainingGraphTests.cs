using Agent.Llama;
using Agent.Llama.Ggml;
using Agent.Training.Engine;

namespace Agent.Training.Tests.Engine;

public class LlamaTrainingGraphTests
{
    [Fact]
    public void Logits_SavedAsGguf_MatchLlamaCppAtEveryPosition()
    {
        var vocabulary = TrainingFixtures.Vocabulary();
        var shape = TrainingFixtures.TinyShape(vocabulary.Tokens.Count, context: 64);
        var options = new TrainingOptions { Seed = 3, WindowLength = 16, BatchSize = 1, Threads = 2, Device = TrainingDevice.Cpu, InitStandardDeviation = 0.08f };
        using var trainer = LlamaTrainer.Create(shape, options);
        var dir = TrainingFixtures.TempDirectory();
        var path = Path.Combine(dir, "parity.gguf");
        trainer.SaveGguf(path, vocabulary);

        var random = new Random(5);
        var prompt = Enumerable.Range(0, 16).Select(_ => random.Next(256)).ToArray();
        var ours = trainer.Graph.Logits(trainer.Backend, prompt, prompt.Length);

        using var model = LlamaModel.Load(path);
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 64, Threads = 2, FlashAttention = false });
        using var batch = new LlamaBatch(64);
        for (var i = 0; i < prompt.Length; i++)
        {
            batch.Add(new LlamaToken(prompt[i]), new LlamaPos(i), new LlamaSeqId(0), wantLogits: true);
        }

        context.Decode(batch);
        var vocab = shape.VocabSize;
        var maxDiff = 0f;
        var maxLogit = 0f;
        for (var i = 0; i < prompt.Length; i++)
        {
            var theirs = context.GetLogits(i);
            for (var v = 0; v < vocab; v++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(theirs[v] - ours[(i * vocab) + v]));
                maxLogit = Math.Max(maxLogit, Math.Abs(theirs[v]));
            }
        }

        Assert.True(maxLogit > 0.1f, $"logits too small ({maxLogit}) for the comparison to mean anything");
        Assert.True(maxDiff < 1e-3f, $"max |ours - llama.cpp| = {maxDiff}");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Gradients_OfAFewWeights_MatchCentralFiniteDifferences()
    {
        // AdamW with beta1 = beta2 = 0, eps = 1, lr = 1 and no decay updates w by -g / (|g| + 1): one step reveals the
        // analytic gradient g = r / (1 - |r|) with r = w_before - w_after. Then compare with (L(w+h) - L(w-h)) / 2h.
        var shape = TrainingFixtures.TinyShape();
        using var backend = GgmlBackend.Cpu(2);
        using var graph = new LlamaTrainingGraph(shape, backend);
        var rng = new Random(9);
        foreach (var (name, dims, _) in graph.Parameters)
        {
            var n = (int)dims.Aggregate(1L, (a, b) => a * b);
            graph.Write(name, Enumerable.Range(0, n).Select(_ => name.EndsWith("norm.weight", StringComparison.Ordinal)
                ? 1f + (float)((rng.NextDouble() - 0.5) * 0.2)
                : (float)((rng.NextDouble() - 0.5) * 0.4)).ToArray());
        }

        const int window = 8, batch = 2;
        var stream = TrainingFixtures.RandomStream((window * batch) + 1, shape.VocabSize, 4);
        var inputs = stream[..(window * batch)];
        var targets = stream[1..((window * batch) + 1)];
        using var probe = new GgmlOptimizer(backend, new GgmlOptimizerOptions { LearningRate = 1f, Beta1 = 0f, Beta2 = 0f, Epsilon = 1f, WeightDecay = 0f });
        LlamaTrainingGraph.BuiltGraph built = default;
        GgmlForward Build(GgmlContext ctx)
        {
            built = graph.Build(ctx, window, batch);
            return new GgmlForward(built.Tokens, built.Logits);
        }

        void SetInputs(GgmlOptimizerBatch b)
        {
            LlamaTrainingGraph.SetInputs(built, inputs, window);
            var labels = new float[shape.VocabSize * inputs.Length];
            for (var i = 0; i < targets.Length; i++)
            {
                labels[(i * shape.VocabSize) + targets[i]] = 1f;
            }

            b.Labels.SetData(labels);
        }

        double Loss() => probe.Evaluate(Build, SetInputs).Loss;

        string[] checkedTensors = ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.1.attn_v.weight", "blk.0.attn_output.weight",
            "blk.1.ffn_gate.weight", "blk.0.ffn_down.weight", "blk.1.attn_norm.weight", "output_norm.weight", "output.weight"];
        var before = graph.Parameters.ToDictionary(p => p.Name, p => graph.Read(p.Name));
        probe.Train(Build, SetInputs);
        var after = graph.Parameters.ToDictionary(p => p.Name, p => graph.Read(p.Name));
        foreach (var (name, values) in before)
        {
            graph.Write(name, values); // the step moved every weight; the finite differences start from the old point
        }

        const float h = 2e-3f;
        var failures = new List<string>();
        var compared = 0;
        foreach (var name in checkedTensors)
        {
            // The three entries with the largest gradient: there the check is sharpest relative to f32 noise.
            var grads = before[name].Select((w, i) => (Index: i, G: Gradient(w - after[name][i]))).OrderByDescending(x => Math.Abs(x.G)).Take(3);
            foreach (var (index, analytic) in grads)
            {
                var w = before[name];
                var saved = w[index];
                w[index] = saved + h;
                graph.Write(name, w);
                var up = Loss();
                w[index] = saved - h;
                graph.Write(name, w);
                var down = Loss();
                w[index] = saved;
                graph.Write(name, w);
                var numeric = (up - down) / (2 * h);
                compared++;
                if (Math.Abs(numeric - analytic) > 2e-3 + (0.05 * Math.Abs(analytic)))
                {
                    failures.Add($"{name}[{index}]: analytic {analytic:G5}, numeric {numeric:G5}");
                }
            }
        }

        Assert.Equal(30, compared);
        Assert.True(failures.Count == 0, string.Join("; ", failures));

        static double Gradient(float r) => r / (1 - Math.Abs((double)r));
    }
}
