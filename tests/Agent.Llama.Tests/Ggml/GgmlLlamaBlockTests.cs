using Agent.Llama.Ggml;

namespace Agent.Llama.Tests.Ggml;

/// <summary>
/// A two-layer llama-style decoder (embedding, RMS norm, rope'd causal attention, SwiGLU feed-forward, output head)
/// built with GgmlContext and trained with GgmlOptimizer: every op the llama training graph needs must have a
/// backward pass that ggml accepts.
/// </summary>
public class GgmlLlamaBlockTests
{
    private const int Vocab = 8;
    private const int Embd = 16;
    private const int Heads = 2;
    private const int HeadDim = Embd / Heads;
    private const int Ffn = 32;
    private const int Tokens = 8;
    private const int Layers = 2;

    public GgmlLlamaBlockTests() => LlamaRuntime.EnsureInitialized();

    [Fact]
    public void Train_TinyLlama_LearnsNextToken()
    {
        using var backend = GgmlBackend.Cpu(2);
        using var weights = new GgmlContext(3 + (Layers * 9));
        var random = new Random(3);
        var all = new List<GgmlTensor>();
        GgmlTensor New(string name, params long[] shape)
        {
            var t = weights.NewTensor(GgmlType.F32, shape).SetName(name).SetParameter();
            all.Add(t);
            return t;
        }

        var embedding = New("tok_embd", Embd, Vocab);
        var outputNorm = New("output_norm", Embd);
        var output = New("output", Embd, Vocab);
        var layers = Enumerable.Range(0, Layers).Select(l => new
        {
            AttnNorm = New($"blk.{l}.attn_norm", Embd),
            Q = New($"blk.{l}.attn_q", Embd, Embd),
            K = New($"blk.{l}.attn_k", Embd, Embd),
            V = New($"blk.{l}.attn_v", Embd, Embd),
            O = New($"blk.{l}.attn_output", Embd, Embd),
            FfnNorm = New($"blk.{l}.ffn_norm", Embd),
            Gate = New($"blk.{l}.ffn_gate", Embd, Ffn),
            Up = New($"blk.{l}.ffn_up", Embd, Ffn),
            Down = New($"blk.{l}.ffn_down", Ffn, Embd),
        }).ToArray();
        weights.AllocateTensors(backend);
        foreach (var t in all)
        {
            var isNorm = t.Name.EndsWith("norm", StringComparison.Ordinal);
            t.SetData(Enumerable.Range(0, (int)t.ElementCount).Select(_ => isNorm ? 1f : (float)((random.NextDouble() - 0.5) * 0.4)).ToArray());
        }

        GgmlTensor positions = default, mask = default;
        GgmlForward Build(GgmlContext ctx)
        {
            var tokens = ctx.NewTensor(GgmlType.I32, Tokens).SetName("tokens").SetInput();
            positions = ctx.NewTensor(GgmlType.I32, Tokens).SetName("positions").SetInput();
            mask = ctx.NewTensor(GgmlType.F32, Tokens, Tokens).SetName("mask").SetInput();
            var x = ctx.GetRows(embedding, tokens); // [Embd, Tokens]
            foreach (var layer in layers)
            {
                var h = ctx.Mul(ctx.RmsNorm(x, 1e-5f), layer.AttnNorm);
                var q = ctx.RopeExt(ctx.Reshape(ctx.MulMat(layer.Q, h), HeadDim, Heads, Tokens), positions, HeadDim);
                var k = ctx.RopeExt(ctx.Reshape(ctx.MulMat(layer.K, h), HeadDim, Heads, Tokens), positions, HeadDim);
                var v = ctx.Reshape(ctx.MulMat(layer.V, h), HeadDim, Heads, Tokens);
                q = ctx.Permute(q, 0, 2, 1, 3); // [HeadDim, Tokens, Heads]
                k = ctx.Permute(k, 0, 2, 1, 3);
                var kq = ctx.MulMat(k, q); // [Tokens(k), Tokens(q), Heads]
                kq = ctx.SoftMaxExt(kq, mask, 1f / MathF.Sqrt(HeadDim));
                var vt = ctx.Cont(ctx.Permute(v, 1, 2, 0, 3)); // [Tokens, HeadDim, Heads]
                var kqv = ctx.MulMat(vt, kq); // [HeadDim, Tokens(q), Heads]
                var merged = ctx.Cont(ctx.Permute(kqv, 0, 2, 1, 3)); // [HeadDim, Heads, Tokens]
                var attn = ctx.MulMat(layer.O, ctx.Reshape(merged, Embd, Tokens));
                x = ctx.Add(x, attn);
                var f = ctx.Mul(ctx.RmsNorm(x, 1e-5f), layer.FfnNorm);
                var ffn = ctx.MulMat(layer.Down, ctx.SwiGlu(ctx.MulMat(layer.Gate, f), ctx.MulMat(layer.Up, f)));
                x = ctx.Add(x, ffn);
            }

            var logits = ctx.MulMat(output, ctx.Mul(ctx.RmsNorm(x, 1e-5f), outputNorm)).SetName("logits");
            return new GgmlForward(tokens, logits);
        }

        // Sequence 3,1,4,1,5,... of a fixed pattern; the label of token i is token i+1.
        int[] sequence = [3, 1, 4, 1, 5, 2, 6, 5, 3];
        var maskValues = new float[Tokens * Tokens];
        for (var qi = 0; qi < Tokens; qi++)
        {
            for (var ki = 0; ki < Tokens; ki++)
            {
                maskValues[(qi * Tokens) + ki] = ki > qi ? float.NegativeInfinity : 0f;
            }
        }

        void SetInputs(GgmlOptimizerBatch batch)
        {
            batch.Inputs.SetData(sequence.AsSpan(0, Tokens));
            positions.SetData(Enumerable.Range(0, Tokens).ToArray());
            mask.SetData(maskValues);
            var labels = new float[Vocab * Tokens];
            for (var i = 0; i < Tokens; i++)
            {
                labels[(i * Vocab) + sequence[i + 1]] = 1f;
            }

            batch.Labels.SetData(labels);
        }

        using var optimizer = new GgmlOptimizer(backend, new GgmlOptimizerOptions { GraphSize = 2048, LearningRate = 0.001f });
        var before = all.Select(t => t.ToArray<float>()).ToArray();
        var first = optimizer.Evaluate(Build, SetInputs);
        for (var step = 0; step < 200; step++)
        {
            optimizer.Train(Build, SetInputs);
        }

        var final = optimizer.Evaluate(Build, SetInputs);
        Assert.True(final.Loss < first.Loss / 10, $"loss {first.Loss} -> {final.Loss}");
        Assert.Equal(1.0, final.Accuracy);
        for (var i = 0; i < all.Count; i++)
        {
            Assert.NotEqual(before[i], all[i].ToArray<float>());
        }
    }
}
