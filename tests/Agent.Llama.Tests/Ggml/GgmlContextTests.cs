using Agent.Llama.Ggml;

namespace Agent.Llama.Tests.Ggml;

/// <summary>Ops computed by the real CPU backend against managed reference implementations.</summary>
public class GgmlContextTests
{
    private const float Tolerance = 1e-4f;

    public GgmlContextTests() => LlamaRuntime.EnsureInitialized();

    [Fact]
    public void MulMat_SmallMatrices_MatchesManagedProduct()
    {
        // W: 3 rows of 4 (shape [4, 3]); X: 2 columns of 4 (shape [4, 2]); result [3, 2] = (W x_j) per column.
        float[] w = [1, 2, 3, 4, -1, 0.5f, 2, 0, 0.25f, -3, 1, 1];
        float[] x = [0.5f, -1, 2, 1, 3, 0, -2, 0.5f];
        var result = Compute(ctx =>
        {
            var tw = Input(ctx, w, 4, 3);
            var tx = Input(ctx, x, 4, 2);
            return ctx.MulMat(tw, tx);
        });

        var expected = new float[6];
        for (var j = 0; j < 2; j++)
        {
            for (var r = 0; r < 3; r++)
            {
                for (var k = 0; k < 4; k++)
                {
                    expected[(j * 3) + r] += w[(r * 4) + k] * x[(j * 4) + k];
                }
            }
        }

        AssertClose(expected, result);
    }

    [Fact]
    public void RmsNorm_Rows_MatchesManagedRmsNorm()
    {
        float[] x = [1, 2, 3, 4, -5, 0.5f, 0, 2];
        const float eps = 1e-5f;
        var result = Compute(ctx => ctx.RmsNorm(Input(ctx, x, 4, 2), eps));

        var expected = new float[8];
        for (var row = 0; row < 2; row++)
        {
            var span = x.AsSpan(row * 4, 4);
            var meanSquare = 0f;
            foreach (var v in span)
            {
                meanSquare += v * v / 4;
            }

            for (var i = 0; i < 4; i++)
            {
                expected[(row * 4) + i] = span[i] / MathF.Sqrt(meanSquare + eps);
            }
        }

        AssertClose(expected, result);
    }

    [Fact]
    public void SoftMaxExt_CausalMaskAndScale_MatchesManagedMaskedSoftmax()
    {
        const int n = 4;
        var scores = Enumerable.Range(0, n * n).Select(i => MathF.Sin(i * 0.7f) * 3).ToArray();
        var mask = new float[n * n];
        for (var q = 0; q < n; q++)
        {
            for (var k = 0; k < n; k++)
            {
                mask[(q * n) + k] = k > q ? float.NegativeInfinity : 0f;
            }
        }

        const float scale = 0.5f;
        var result = Compute(ctx => ctx.SoftMaxExt(Input(ctx, scores, n, n), Input(ctx, mask, n, n), scale, 0f));

        var expected = new float[n * n];
        for (var q = 0; q < n; q++)
        {
            var max = float.NegativeInfinity;
            for (var k = 0; k <= q; k++)
            {
                max = MathF.Max(max, scores[(q * n) + k] * scale);
            }

            var sum = 0f;
            for (var k = 0; k <= q; k++)
            {
                sum += MathF.Exp((scores[(q * n) + k] * scale) - max);
            }

            for (var k = 0; k < n; k++)
            {
                expected[(q * n) + k] = k > q ? 0f : MathF.Exp((scores[(q * n) + k] * scale) - max) / sum;
            }
        }

        AssertClose(expected, result);
        Assert.Equal(0f, result[1]); // the first query sees only itself
    }

    [Fact]
    public void RopeExt_NormalMode_MatchesManagedLlamaRope()
    {
        const int headDim = 8, heads = 2, tokens = 3, ropeDims = 6;
        const float freqBase = 10000f;
        var x = Enumerable.Range(0, headDim * heads * tokens).Select(i => MathF.Cos(i * 0.3f)).ToArray();
        int[] positions = [0, 5, 17];
        var result = Compute(ctx =>
        {
            var tx = Input(ctx, x, headDim, heads, tokens);
            var pos = ctx.NewTensor(GgmlType.I32, tokens).SetInput();
            s_inputs.Add((pos, positions));
            return ctx.RopeExt(tx, pos, ropeDims, GgmlRopeMode.Normal, freqBase);
        });

        var expected = (float[])x.Clone();
        for (var t = 0; t < tokens; t++)
        {
            for (var h = 0; h < heads; h++)
            {
                var o = ((t * heads) + h) * headDim;
                for (var i = 0; i < ropeDims; i += 2)
                {
                    var theta = positions[t] * MathF.Pow(freqBase, -(float)i / ropeDims);
                    float c = MathF.Cos(theta), s = MathF.Sin(theta);
                    float x0 = x[o + i], x1 = x[o + i + 1];
                    expected[o + i] = (x0 * c) - (x1 * s);
                    expected[o + i + 1] = (x0 * s) + (x1 * c);
                }
            }
        }

        AssertClose(expected, result, 1e-3f);
        Assert.NotEqual(x[headDim * heads * 2], result[headDim * heads * 2]); // position 17 really rotated
    }

    [Fact]
    public void CrossEntropyLoss_Logits_MatchesManagedLogSoftmax()
    {
        float[] logits = [2, 1, 0.1f, -1, 0.5f, 0.5f, 3, 0];
        float[] labels = [1, 0, 0, 0, 0, 0.5f, 0.5f, 0];
        var result = Compute(ctx => ctx.CrossEntropyLoss(Input(ctx, logits, 4, 2), Input(ctx, labels, 4, 2)));

        var loss = 0.0;
        for (var row = 0; row < 2; row++)
        {
            var l = logits.AsSpan(row * 4, 4);
            var max = l.ToArray().Max();
            var logSum = Math.Log(l.ToArray().Sum(v => Math.Exp(v - max))) + max;
            for (var i = 0; i < 4; i++)
            {
                loss -= labels[(row * 4) + i] * (l[i] - logSum);
            }
        }

        Assert.Single(result);
        Assert.Equal(loss / 2, result[0], 4);
    }

    [Fact]
    public void SwiGluAndGetRows_Compose_MatchManagedReference()
    {
        float[] table = [1, 2, 3, -1, -2, -3, 0.5f, 0, 1];
        int[] rows = [2, 0];
        var result = Compute(ctx =>
        {
            var t = Input(ctx, table, 3, 3);
            var idx = ctx.NewTensor(GgmlType.I32, 2).SetInput();
            s_inputs.Add((idx, rows));
            var gathered = ctx.GetRows(t, idx);
            return ctx.SwiGlu(gathered, ctx.Scale(gathered, 2f));
        });

        var expected = rows.SelectMany(r => table.Skip(r * 3).Take(3)).Select(v => v / (1 + MathF.Exp(-v)) * (2 * v)).ToArray();
        AssertClose(expected, result);
    }

    [Fact]
    public void MulMat_InnerDimensionsDiffer_ThrowsShapeExceptionWithoutAborting()
    {
        using var ctx = new GgmlContext(8);
        var a = ctx.NewTensor(GgmlType.F32, 4, 3).SetName("w");
        var b = ctx.NewTensor(GgmlType.F32, 5, 2);

        var e = Assert.Throws<GgmlShapeException>(() => ctx.MulMat(a, b));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Contains("ne[0]", e.Message, StringComparison.Ordinal);
        Assert.Throws<GgmlShapeException>(() => ctx.Add(b, a));
        Assert.Throws<GgmlShapeException>(() => ctx.GetRows(a, b));
        Assert.Throws<GgmlShapeException>(() => ctx.Reshape(a, 5, 3));
        Assert.Throws<GgmlShapeException>(() => ctx.View1D(a, 12, 4));
        Assert.Throws<GgmlShapeException>(() => ctx.Permute(a, 0, 0, 1, 2));
        Assert.Throws<GgmlShapeException>(() => ctx.CrossEntropyLoss(a, b));
        Assert.Throws<GgmlShapeException>(() => ctx.SoftMaxExt(a, b));
        Assert.Throws<GgmlShapeException>(() => ctx.Mean(a).SetLoss()); // [1, 3] is not a scalar
        Assert.Equal([3L, 2, 1, 1], ctx.MulMat(a, ctx.NewTensor(GgmlType.F32, 4, 2)).Shape); // still usable afterwards
    }

    [Fact]
    public void NewTensor_ContextFull_ThrowsCapacityException()
    {
        using var ctx = new GgmlContext(2);
        var a = ctx.NewTensor(GgmlType.F32, 4);
        _ = ctx.Add(a, a);

        Assert.Throws<GgmlCapacityException>(() => ctx.NewTensor(GgmlType.F32, 4));
        Assert.Throws<GgmlCapacityException>(() => ctx.Add(a, a));
        Assert.Throws<GgmlCapacityException>(() => ctx.NewGraph(16));
    }

    [Fact]
    public void BuildForwardExpand_GraphTooSmall_ThrowsCapacityException()
    {
        using var ctx = new GgmlContext(32, maxGraphs: 1, graphSize: 4);
        var x = ctx.NewTensor(GgmlType.F32, 4);
        var y = x;
        for (var i = 0; i < 6; i++)
        {
            y = ctx.Scale(y, 2f);
        }

        var graph = ctx.NewGraph(4);
        Assert.Throws<GgmlCapacityException>(() => graph.BuildForwardExpand(y));
        Assert.Equal(0, graph.NodeCount);
    }

    [Fact]
    public void Tensor_AfterContextDisposed_ThrowsObjectDisposed()
    {
        var ctx = new GgmlContext(2);
        var a = ctx.NewTensor(GgmlType.F32, 4);
        ctx.Dispose();

        Assert.Throws<ObjectDisposedException>(() => a.Shape);
        Assert.Throws<InvalidOperationException>(() => default(GgmlTensor).Shape);
    }

    [ThreadStatic]
    private static List<(GgmlTensor Tensor, int[] Values)>? t_intInputs;

    private static List<(GgmlTensor Tensor, int[] Values)> s_inputs => t_intInputs ??= [];

    [ThreadStatic]
    private static List<(GgmlTensor Tensor, float[] Values)>? t_floatInputs;

    private static GgmlTensor Input(GgmlContext ctx, float[] values, params long[] shape)
    {
        var t = ctx.NewTensor(GgmlType.F32, shape).SetInput();
        (t_floatInputs ??= []).Add((t, values));
        return t;
    }

    /// <summary>Builds a graph in a fresh context, allocates all its tensors on the CPU backend, writes the inputs, computes.</summary>
    internal static float[] Compute(Func<GgmlContext, GgmlTensor> build, int threads = 2)
    {
        t_floatInputs = [];
        t_intInputs = [];
        using var backend = GgmlBackend.Cpu(threads);
        using var ctx = new GgmlContext(64, maxGraphs: 1, graphSize: 64);
        var output = build(ctx).SetOutput();
        var graph = ctx.NewGraph(64);
        graph.BuildForwardExpand(output);
        ctx.AllocateTensors(backend);
        foreach (var (tensor, values) in t_floatInputs)
        {
            tensor.SetData(values);
        }

        foreach (var (tensor, values) in t_intInputs)
        {
            tensor.SetData(values);
        }

        backend.Compute(graph);
        return output.ToArray<float>();
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance * MathF.Max(1f, MathF.Abs(expected[i])), $"index {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
