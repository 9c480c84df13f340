using System.Globalization;
using Agent.Llama.Ggml;
using Agent.Llama.Gguf;

namespace Agent.Training.Engine;

/// <summary>
/// The llama-architecture forward pass (as llama.cpp's <c>llm_build_llama</c> computes it) for B windows of T tokens,
/// ending in logits [vocab, T·B]; the weights live in a context of their own on the training backend, every one marked
/// as a parameter. Attention is causal over each window's own keys and values (no KV cache); GQA shares a KV head
/// between HeadCount / HeadCountKv consecutive query heads, which is how ggml_mul_mat broadcasts and llama.cpp reads it.
/// </summary>
internal sealed class LlamaTrainingGraph : IDisposable
{
    private readonly GgmlContext _weights;
    private readonly Dictionary<string, GgmlTensor> _byName = new(StringComparer.Ordinal);
    private readonly List<(string Name, long[] Shape, GgmlTensor Tensor)> _parameters = [];
    private readonly Layer[] _layers;
    private readonly GgmlTensor _embedding;
    private readonly GgmlTensor _outputNorm;
    private readonly GgmlTensor _output;
    private readonly GgmlTensor? _modeWeight;
    private readonly GgmlTensor? _modeBias;
    private readonly GgmlTensor? _modeHiddenWeight;
    private readonly GgmlTensor? _modeHiddenBias;

    public LlamaTrainingGraph(LlamaHyperparameters shape, GgmlBackend backend)
        : this(shape, backend, modeHead: false)
    {
    }

    /// <param name="shape">The model shape.</param>
    /// <param name="backend">Where the weights live.</param>
    /// <param name="modeHead">Also a mode head (see <see cref="LlamaTrainingGraph(LlamaHyperparameters, GgmlBackend, bool, int)"/>).</param>
    public LlamaTrainingGraph(LlamaHyperparameters shape, GgmlBackend backend, bool modeHead)
        : this(shape, backend, modeHead, modeHidden: 0)
    {
    }

    /// <param name="shape">The model shape.</param>
    /// <param name="backend">Where the weights live.</param>
    /// <param name="modeHead">Also a mode head (<see cref="ModeHeadWeight"/>, <see cref="ModeHeadBias"/>): two logits
    /// (mode1, mode2) per token from the final hidden state, the vector the output projection reads.</param>
    /// <param name="modeHidden">Units of a hidden layer (silu) before the head's two logits (<see cref="ModeHeadHiddenWeight"/>,
    /// <see cref="ModeHeadHiddenBias"/>); 0 for a linear head.</param>
    public LlamaTrainingGraph(LlamaHyperparameters shape, GgmlBackend backend, bool modeHead, int modeHidden)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(backend);
        Shape = shape;
        var shapes = shape.TensorShapes().ToList();
        if (modeHead && modeHidden > 0)
        {
            shapes.Add((ModeHeadHiddenWeight, [shape.EmbeddingSize, modeHidden]));
            shapes.Add((ModeHeadHiddenBias, [modeHidden]));
        }

        if (modeHead)
        {
            shapes.Add((ModeHeadWeight, [modeHidden > 0 ? modeHidden : shape.EmbeddingSize, 2]));
            shapes.Add((ModeHeadBias, [2]));
        }

        _weights = new GgmlContext(shapes.Count + 1);
        foreach (var (name, dims) in shapes)
        {
            var tensor = _weights.NewTensor(GgmlType.F32, dims).SetName(name).SetParameter();
            _byName.Add(name, tensor);
            _parameters.Add((name, dims, tensor));
        }

        _weights.AllocateTensors(backend);
        _embedding = _byName["token_embd.weight"];
        _outputNorm = _byName["output_norm.weight"];
        _output = _byName["output.weight"];
        _modeWeight = modeHead ? _byName[ModeHeadWeight] : null;
        _modeBias = modeHead ? _byName[ModeHeadBias] : null;
        _modeHiddenWeight = modeHead && modeHidden > 0 ? _byName[ModeHeadHiddenWeight] : null;
        _modeHiddenBias = modeHead && modeHidden > 0 ? _byName[ModeHeadHiddenBias] : null;
        _layers = new Layer[shape.LayerCount];
        for (var l = 0; l < shape.LayerCount; l++)
        {
            GgmlTensor W(string suffix) => _byName[string.Create(CultureInfo.InvariantCulture, $"blk.{l}.{suffix}.weight")];
            _layers[l] = new Layer(W("attn_norm"), W("attn_q"), W("attn_k"), W("attn_v"), W("attn_output"), W("ffn_norm"), W("ffn_gate"), W("ffn_up"), W("ffn_down"));
        }
    }

    /// <summary>The mode head's weight [E, 2] (not part of the llama GGUF; saved beside it).</summary>
    public const string ModeHeadWeight = "mode_head.weight";

    /// <summary>The mode head's bias [2].</summary>
    public const string ModeHeadBias = "mode_head.bias";

    /// <summary>The mode head's hidden layer [E, H], when it has one.</summary>
    public const string ModeHeadHiddenWeight = "mode_head.hidden.weight";

    /// <summary>The mode head's hidden biases [H], when it has a hidden layer.</summary>
    public const string ModeHeadHiddenBias = "mode_head.hidden.bias";

    /// <summary>Whether a tensor name is one of the mode head's (none of them is in the llama GGUF).</summary>
    public static bool IsModeHeadTensor(string name) => name is ModeHeadWeight or ModeHeadBias or ModeHeadHiddenWeight or ModeHeadHiddenBias;

    public LlamaHyperparameters Shape { get; }

    /// <summary>Whether the graph has a mode head.</summary>
    public bool HasModeHead => _modeWeight is not null;

    /// <summary>Units of the mode head's hidden layer; 0 for a linear head or none.</summary>
    public int ModeHeadHidden => (int)(_modeHiddenBias?.ElementCount ?? 0);

    /// <summary>Every weight: llama.cpp's name, ggml shape and tensor, in <see cref="LlamaHyperparameters.TensorShapes"/> order.</summary>
    public IReadOnlyList<(string Name, long[] Shape, GgmlTensor Tensor)> Parameters => _parameters;

    /// <summary>Forward nodes a graph for these weights needs (with room to spare), for sizing the optimizer's graphs.</summary>
    public int ForwardNodeEstimate => 16 + (Shape.LayerCount * 40);

    public float[] Read(string name) => _byName[name].ToArray<float>();

    public void Write(string name, float[] values) => _byName[name].SetData(values);

    /// <summary>
    /// Builds the forward graph in <paramref name="ctx"/>: inputs are token ids [T·B] (window-major), positions [T·B]
    /// and the causal mask [T, T]; the output is the logits [vocab, T·B]. With <paramref name="dropout"/>, the token
    /// embeddings and every block's attention and feed-forward outputs are multiplied by a mask input [E, T·B] before
    /// they join the residual stream (see <see cref="SetDropout"/>); the graph has the same nodes in training and
    /// validation, where the masks are all ones.
    /// </summary>
    public BuiltGraph Build(GgmlContext ctx, int windowLength, int batchSize, bool dropout = false)
    {
        var s = Shape;
        long t = windowLength, b = batchSize, n = t * b;
        int hd = s.HeadSize, h = s.HeadCount, hkv = s.HeadCountKv;
        var tokens = ctx.NewTensor(GgmlType.I32, n).SetName("tokens").SetInput();
        var positions = ctx.NewTensor(GgmlType.I32, n).SetName("positions").SetInput();
        var mask = ctx.NewTensor(GgmlType.F32, t, t).SetName("causal_mask").SetInput();
        var scale = 1f / MathF.Sqrt(hd);
        var masks = new List<GgmlTensor>();
        GgmlTensor Drop(GgmlTensor a)
        {
            if (!dropout)
            {
                return a;
            }

            var m = ctx.NewTensor(GgmlType.F32, s.EmbeddingSize, n).SetName(string.Create(CultureInfo.InvariantCulture, $"dropout_{masks.Count}")).SetInput();
            masks.Add(m);
            return ctx.Mul(a, m);
        }

        var x = Drop(ctx.GetRows(_embedding, tokens)); // [E, T·B]
        foreach (var layer in _layers)
        {
            var cur = ctx.Mul(ctx.RmsNorm(x, s.RmsNormEpsilon), layer.AttnNorm);
            var q = Rope(ctx, ctx.Reshape(ctx.MulMat(layer.Q, cur), hd, h, n), positions);   // [hd, H, T·B]
            var k = Rope(ctx, ctx.Reshape(ctx.MulMat(layer.K, cur), hd, hkv, n), positions); // [hd, Hkv, T·B]
            var v = ctx.Reshape(ctx.MulMat(layer.V, cur), hd, hkv, t, b);                    // [hd, Hkv, T, B]

            // Fold the batch into the head dimension ([hd, T, heads·B], ne3 = 1): ggml's mul_mat broadcast (and its
            // backward, which needs ne3 == 1 when broadcasting) then maps query head i·B-block to KV head i / (H/Hkv).
            var q3 = ctx.Reshape(ctx.Cont(ctx.Permute(ctx.Reshape(q, hd, h, t, b), 0, 2, 1, 3)), hd, t, h * b);
            var k3 = ctx.Reshape(ctx.Cont(ctx.Permute(ctx.Reshape(k, hd, hkv, t, b), 0, 2, 1, 3)), hd, t, hkv * b);
            var kq = ctx.SoftMaxExt(ctx.MulMat(k3, q3), mask, scale);                                   // [T(k), T(q), H·B]
            var vt = ctx.Reshape(ctx.Cont(ctx.Permute(v, 1, 2, 0, 3)), t, hd, hkv * b);              // [T, hd, Hkv·B]
            var kqv = ctx.Reshape(ctx.MulMat(vt, kq), hd, t, h, b);                                     // [hd, T(q), H, B]
            var merged = ctx.Reshape(ctx.Cont(ctx.Permute(kqv, 0, 2, 1, 3)), s.EmbeddingSize, n);    // [E, T·B]
            x = ctx.Add(x, Drop(ctx.MulMat(layer.O, merged)));

            var f = ctx.Mul(ctx.RmsNorm(x, s.RmsNormEpsilon), layer.FfnNorm);
            x = ctx.Add(x, Drop(ctx.MulMat(layer.Down, ctx.SwiGlu(ctx.MulMat(layer.Gate, f), ctx.MulMat(layer.Up, f)))));
        }

        var hidden = ctx.Mul(ctx.RmsNorm(x, s.RmsNormEpsilon), _outputNorm);
        var logits = ctx.MulMat(_output, hidden).SetName("logits");
        GgmlTensor? modeLogits = _modeWeight is { } w && _modeBias is { } bias ? ctx.Add(ctx.MulMat(w, ModeHeadInput(ctx, hidden)), bias).SetName("mode_logits") : null;
        return new BuiltGraph(tokens, positions, mask, logits, masks) { ModeLogits = modeLogits };
    }

    /// <summary>Writes a batch's tokens, positions and causal mask.</summary>
    public static void SetInputs(BuiltGraph graph, int[] tokens, int windowLength)
    {
        graph.Tokens.SetData(tokens);
        var positions = new int[tokens.Length];
        for (var i = 0; i < positions.Length; i++)
        {
            positions[i] = i % windowLength;
        }

        graph.Positions.SetData(positions);
        graph.Mask.SetData(CausalMask(windowLength));
    }

    /// <summary>
    /// Fills a graph's dropout masks: each element is 0 with probability <paramref name="rate"/> and 1 / (1 - rate)
    /// otherwise (inverted dropout: the expected activation is unchanged), drawn from <paramref name="rng"/>; a rate of 0
    /// (validation) fills ones. Does nothing for a graph built without dropout.
    /// </summary>
    public static void SetDropout(BuiltGraph graph, float rate, ref SplitMix64 rng)
    {
        if (graph.DropoutMasks.Count == 0)
        {
            return;
        }

        var values = new float[graph.DropoutMasks[0].ElementCount];
        var keep = 1f / (1f - rate);
        foreach (var m in graph.DropoutMasks)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = rate > 0f && rng.NextDouble() < rate ? 0f : keep;
            }

            m.SetData(values);
        }
    }

    /// <summary>Forward pass only: the logits [T·B · vocab] of <paramref name="tokens"/> (B windows of T), row per token.</summary>
    public float[] Logits(GgmlBackend backend, int[] tokens, int windowLength)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var batch = tokens.Length / windowLength;
        var graphSize = Math.Max(GgmlContext.DefaultGraphSize, ForwardNodeEstimate * 2);
        using var scheduler = new GgmlScheduler([backend], graphSize);
        using var ctx = new GgmlContext(graphSize, 1, graphSize);
        var built = Build(ctx, windowLength, batch);
        built.Logits.SetOutput();
        var graph = ctx.NewGraph(graphSize);
        graph.BuildForwardExpand(built.Logits);
        scheduler.Allocate(graph);
        SetInputs(built, tokens, windowLength);
        scheduler.Compute(graph);
        return built.Logits.ToArray<float>();
    }

    public void Dispose() => _weights.Dispose();

    /// <summary>What the head's logits read: the final hidden state, or silu of its hidden layer over it.</summary>
    private GgmlTensor ModeHeadInput(GgmlContext ctx, GgmlTensor hidden) =>
        _modeHiddenWeight is { } hw && _modeHiddenBias is { } hb ? ctx.Silu(ctx.Add(ctx.MulMat(hw, hidden), hb)) : hidden;

    private static float[] CausalMask(int t)
    {
        var mask = new float[t * t];
        for (var qi = 0; qi < t; qi++)
        {
            for (var ki = qi + 1; ki < t; ki++)
            {
                mask[(qi * t) + ki] = float.NegativeInfinity;
            }
        }

        return mask;
    }

    private GgmlTensor Rope(GgmlContext ctx, GgmlTensor a, GgmlTensor positions) =>
        ctx.RopeExt(a, positions, Shape.HeadSize, GgmlRopeMode.Normal, Shape.RopeFrequencyBase, 1f, Shape.ContextLength, 0f, 1f, 32f, 1f);

    internal readonly record struct BuiltGraph(GgmlTensor Tokens, GgmlTensor Positions, GgmlTensor Mask, GgmlTensor Logits, IReadOnlyList<GgmlTensor> DropoutMasks)
    {
        /// <summary>The mode head's logits [2, T·B] (mode1, mode2), when the graph has a head.</summary>
        public GgmlTensor? ModeLogits { get; init; }
    }

    private sealed record Layer(
        GgmlTensor AttnNorm, GgmlTensor Q, GgmlTensor K, GgmlTensor V, GgmlTensor O, GgmlTensor FfnNorm, GgmlTensor Gate, GgmlTensor Up, GgmlTensor Down);
}
