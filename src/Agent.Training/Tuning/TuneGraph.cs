using Agent.Llama.Ggml;
using Agent.Training.Engine;

namespace Agent.Training.Tuning;

/// <summary>
/// The forward pass of a llama-family base (llama.cpp's <c>llm_build_llama</c> / <c>llm_build_qwen2</c>) for tuning, over
/// the tuned vocabulary. The base weights are frozen tensors (parameters too with <see cref="TuneMode.Full"/>), their
/// rows of the new tag tokens zero; the tag rows live in tensors of their own, [E, K] for the K new tokens, and join
/// the pass without a [E, V] temporary: the embedding adds <c>get_rows(tag_embd, slot) · is_tag</c> per token, the
/// logits add <c>S · (tag_output · h)</c> with a constant one-hot S [K, V] that scatters K rows to their ids. With LoRA
/// every projection W becomes <c>W x + (alpha / r) · B (A x)</c>, A [in, r] and B [r, out] in llama.cpp's layout.
/// With a mode head, <see cref="ModeHeadWeight"/> [E, 2] and <see cref="ModeHeadBias"/> [2] give two logits (mode1,
/// mode2) per token from the final hidden state, the vector the output projection reads and llama.cpp returns as the
/// token's embedding; with a hidden layer of H units they read <c>silu(hidden.weight · h + hidden.bias)</c> [H] instead.
/// </summary>
internal sealed class TuneGraph : IDisposable
{
    /// <summary>The projections that carry LoRA adapters (suffixes after <c>blk.N.</c>).</summary>
    public static readonly string[] AdaptedSuffixes =
        ["attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"];

    private readonly GgmlContext _weights;
    private readonly Dictionary<string, GgmlTensor> _base = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (GgmlTensor A, GgmlTensor B)> _lora = new(StringComparer.Ordinal);
    private readonly List<(string Name, GgmlTensor Tensor)> _trainable = [];
    private readonly int[] _slotOf;
    private readonly GgmlTensor? _modeWeight;
    private readonly GgmlTensor? _modeBias;
    private readonly GgmlTensor? _modeHiddenWeight;
    private readonly GgmlTensor? _modeHiddenBias;

    public TuneGraph(BaseModel model, TagTokenPlan plan, TuneMode mode, GgmlBackend backend, long seed)
        : this(model, plan, mode, backend, seed, modeHead: false, modeHidden: 0)
    {
    }

    /// <param name="model">The base.</param>
    /// <param name="plan">The tuned vocabulary.</param>
    /// <param name="mode">LoRA or full.</param>
    /// <param name="backend">Where the weights live.</param>
    /// <param name="seed">Seed of the trained tensors' initialisation.</param>
    /// <param name="modeHead">Also train a mode head over the final hidden state (output weights zero at the start: p(Mode 2) = 0.5).</param>
    /// <param name="modeHidden">Units of the head's hidden layer (silu); 0 for a linear head.</param>
    public TuneGraph(BaseModel model, TagTokenPlan plan, TuneMode mode, GgmlBackend backend, long seed, bool modeHead, int modeHidden = 0)
    {
        Model = model;
        Plan = plan;
        Mode = mode;
        var shapes = model.TensorShapes().Select(t => (t.Name, Shape: Extend(t.Name, t.Shape, plan.VocabSize))).ToList();
        _weights = new GgmlContext(shapes.Count + 2 + (model.LayerCount * AdaptedSuffixes.Length * 2) + 4 + (modeHead ? 4 : 0));
        foreach (var (name, shape) in shapes)
        {
            var tensor = _weights.NewTensor(GgmlType.F32, shape).SetName(name);
            if (mode.Full)
            {
                tensor.SetParameter();
                _trainable.Add((name, tensor));
            }

            _base.Add(name, tensor);
        }

        var k = Math.Max(1, plan.NewIds.Count);
        TagEmbedding = _weights.NewTensor(GgmlType.F32, model.EmbeddingSize, k).SetName("tag_embd.weight").SetParameter();
        _trainable.Add(("tag_embd.weight", TagEmbedding));
        if (!model.Tied)
        {
            TagOutput = _weights.NewTensor(GgmlType.F32, model.EmbeddingSize, k).SetName("tag_output.weight").SetParameter();
            _trainable.Add(("tag_output.weight", TagOutput));
        }

        if (!mode.Full)
        {
            for (var layer = 0; layer < model.LayerCount; layer++)
            {
                foreach (var suffix in AdaptedSuffixes)
                {
                    var name = BaseModel.BlockName(layer, suffix);
                    var shape = _base[name].Shape;
                    var a = _weights.NewTensor(GgmlType.F32, shape[0], mode.Rank).SetName(name + ".lora_a").SetParameter();
                    var b = _weights.NewTensor(GgmlType.F32, mode.Rank, shape[1]).SetName(name + ".lora_b").SetParameter();
                    _lora.Add(name, (a, b));
                    _trainable.Add((name + ".lora_a", a));
                    _trainable.Add((name + ".lora_b", b));
                }
            }
        }

        if (modeHead)
        {
            if (modeHidden > 0)
            {
                var hiddenWeight = _weights.NewTensor(GgmlType.F32, model.EmbeddingSize, modeHidden).SetName(ModeHeadHiddenWeight).SetParameter();
                var hiddenBias = _weights.NewTensor(GgmlType.F32, modeHidden).SetName(ModeHeadHiddenBias).SetParameter();
                _trainable.Add((ModeHeadHiddenWeight, hiddenWeight));
                _trainable.Add((ModeHeadHiddenBias, hiddenBias));
                _modeHiddenWeight = hiddenWeight;
                _modeHiddenBias = hiddenBias;
            }

            var weight = _weights.NewTensor(GgmlType.F32, modeHidden > 0 ? modeHidden : model.EmbeddingSize, 2).SetName(ModeHeadWeight).SetParameter();
            var bias = _weights.NewTensor(GgmlType.F32, 2).SetName(ModeHeadBias).SetParameter();
            _trainable.Add((ModeHeadWeight, weight));
            _trainable.Add((ModeHeadBias, bias));
            _modeWeight = weight;
            _modeBias = bias;
        }

        _weights.AllocateTensors(backend);
        _slotOf = new int[plan.VocabSize];
        Array.Fill(_slotOf, -1);
        for (var i = 0; i < plan.NewIds.Count; i++)
        {
            _slotOf[plan.NewIds[i]] = i;
        }

        LoadBase();
        InitializeTrainable(seed);
    }

    /// <summary>The mode head's weight [E, 2] (rows: mode1, mode2), trained and checkpointed with the rest; not in the merged GGUF.</summary>
    public const string ModeHeadWeight = "mode_head.weight";

    /// <summary>The mode head's bias [2].</summary>
    public const string ModeHeadBias = "mode_head.bias";

    /// <summary>The mode head's hidden layer [E, H], when it has one.</summary>
    public const string ModeHeadHiddenWeight = "mode_head.hidden.weight";

    /// <summary>The mode head's hidden biases [H], when it has a hidden layer.</summary>
    public const string ModeHeadHiddenBias = "mode_head.hidden.bias";

    public BaseModel Model { get; }

    /// <summary>Whether the graph has a mode head.</summary>
    public bool HasModeHead => _modeWeight is not null;

    public TagTokenPlan Plan { get; }

    public TuneMode Mode { get; }

    /// <summary>The new tag tokens' embedding rows [E, K].</summary>
    public GgmlTensor TagEmbedding { get; }

    /// <summary>The new tag tokens' output rows [E, K]; default when the base ties its output to the embedding.</summary>
    public GgmlTensor TagOutput { get; }

    /// <summary>The tensors the optimizer trains, with their names (LoRA: <c>blk.N.attn_q.weight.lora_a</c>, ...).</summary>
    public IReadOnlyList<(string Name, GgmlTensor Tensor)> Trainable => _trainable;

    /// <summary>Trained values.</summary>
    public long TrainableCount => _trainable.Sum(t => t.Tensor.ElementCount);

    /// <summary>Forward nodes a graph needs (with room to spare).</summary>
    public int ForwardNodeEstimate => 32 + (Model.LayerCount * 80);

    /// <summary>A base tensor's current values (over the tuned vocabulary, tag rows zero unless trained with Full).</summary>
    public float[] ReadBase(string name) => _base[name].ToArray<float>();

    /// <summary>LoRA tensors of an adapted projection, or false.</summary>
    public bool TryGetLora(string name, out float[] a, out float[] b)
    {
        if (_lora.TryGetValue(name, out var pair))
        {
            a = pair.A.ToArray<float>();
            b = pair.B.ToArray<float>();
            return true;
        }

        a = b = [];
        return false;
    }

    /// <summary>The mode head's current output weights [E or H, 2] and bias [2], and its hidden layer's (null when linear).</summary>
    /// <exception cref="InvalidOperationException">The graph has no head.</exception>
    public (float[] Weights, float[] Bias, float[]? HiddenWeights, float[]? HiddenBias) ReadModeHead() => _modeWeight is { } w && _modeBias is { } b
        ? (w.ToArray<float>(), b.ToArray<float>(), _modeHiddenWeight?.ToArray<float>(), _modeHiddenBias?.ToArray<float>())
        : throw new InvalidOperationException("This tune graph has no mode head.");

    /// <summary>Builds the forward graph for B windows of T tokens: logits [V, T·B] (and mode logits [2, T·B] with a head).</summary>
    public Built Build(GgmlContext ctx, int windowLength, int batchSize)
    {
        var m = Model;
        long t = windowLength, b = batchSize, n = t * b;
        int hd = m.HeadSize, h = m.HeadCount, hkv = m.HeadCountKv;
        long k = TagEmbedding.Shape[1];
        var tokens = ctx.NewTensor(GgmlType.I32, n).SetName("tokens").SetInput();
        var slots = ctx.NewTensor(GgmlType.I32, n).SetName("tag_slots").SetInput();
        var isTag = ctx.NewTensor(GgmlType.F32, 1, n).SetName("is_tag").SetInput();
        var scatter = ctx.NewTensor(GgmlType.F32, k, Plan.VocabSize).SetName("tag_scatter").SetInput();
        var positions = ctx.NewTensor(GgmlType.I32, n).SetName("positions").SetInput();
        var mask = ctx.NewTensor(GgmlType.F32, t, t).SetName("causal_mask").SetInput();
        var scale = 1f / MathF.Sqrt(hd);

        var x = ctx.Add(ctx.GetRows(_base["token_embd.weight"], tokens), ctx.Mul(ctx.GetRows(TagEmbedding, slots), isTag)); // [E, T·B]
        for (var layer = 0; layer < m.LayerCount; layer++)
        {
            GgmlTensor W(string suffix) => _base[BaseModel.BlockName(layer, suffix)];
            GgmlTensor Project(string suffix, GgmlTensor input)
            {
                var name = BaseModel.BlockName(layer, suffix);
                var y = ctx.MulMat(_base[name], input);
                if (_lora.TryGetValue(name, out var ab))
                {
                    y = ctx.Add(y, ctx.Scale(ctx.MulMat(ab.B, ctx.MulMat(ab.A, input)), Mode.Scale));
                }

                return y;
            }

            GgmlTensor Biased(string suffix, GgmlTensor input) =>
                m.Architecture.HasQkvBias ? ctx.Add(Project(suffix + ".weight", input), W(suffix + ".bias")) : Project(suffix + ".weight", input);

            var cur = ctx.Mul(ctx.RmsNorm(x, m.RmsNormEpsilon), W("attn_norm.weight"));
            var q = Rope(ctx, ctx.Reshape(Biased("attn_q", cur), hd, h, n), positions);
            var kk = Rope(ctx, ctx.Reshape(Biased("attn_k", cur), hd, hkv, n), positions);
            var v = ctx.Reshape(Biased("attn_v", cur), hd, hkv, t, b);
            var q3 = ctx.Reshape(ctx.Cont(ctx.Permute(ctx.Reshape(q, hd, h, t, b), 0, 2, 1, 3)), hd, t, h * b);
            var k3 = ctx.Reshape(ctx.Cont(ctx.Permute(ctx.Reshape(kk, hd, hkv, t, b), 0, 2, 1, 3)), hd, t, hkv * b);
            var kq = ctx.SoftMaxExt(ctx.MulMat(k3, q3), mask, scale);
            var vt = ctx.Reshape(ctx.Cont(ctx.Permute(v, 1, 2, 0, 3)), t, hd, hkv * b);
            var kqv = ctx.Reshape(ctx.MulMat(vt, kq), hd, t, h, b);
            var merged = ctx.Reshape(ctx.Cont(ctx.Permute(kqv, 0, 2, 1, 3)), m.EmbeddingSize, n);
            x = ctx.Add(x, Project("attn_output.weight", merged));

            var f = ctx.Mul(ctx.RmsNorm(x, m.RmsNormEpsilon), W("ffn_norm.weight"));
            x = ctx.Add(x, Project("ffn_down.weight", ctx.SwiGlu(Project("ffn_gate.weight", f), Project("ffn_up.weight", f))));
        }

        var hidden = ctx.Mul(ctx.RmsNorm(x, m.RmsNormEpsilon), _base["output_norm.weight"]);
        var output = m.Tied ? _base["token_embd.weight"] : _base["output.weight"];
        var tagRows = m.Tied ? TagEmbedding : TagOutput;
        var logits = ctx.Add(ctx.MulMat(output, hidden), ctx.MulMat(scatter, ctx.MulMat(tagRows, hidden))).SetName("logits");
        var modeInput = _modeHiddenWeight is { } hw && _modeHiddenBias is { } hb ? ctx.Silu(ctx.Add(ctx.MulMat(hw, hidden), hb)) : hidden;
        GgmlTensor? modeLogits = _modeWeight is { } mw && _modeBias is { } mb ? ctx.Add(ctx.MulMat(mw, modeInput), mb).SetName("mode_logits") : null;
        return new Built(tokens, slots, isTag, scatter, positions, mask, logits) { ModeLogits = modeLogits };
    }

    /// <summary>Writes a batch's tokens (window-major), their tag slots, positions, the causal mask and the scatter matrix.</summary>
    public void SetInputs(Built graph, int[] tokens, int windowLength)
    {
        graph.Tokens.SetData(tokens);
        var slots = new int[tokens.Length];
        var isTag = new float[tokens.Length];
        var positions = new int[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            var slot = _slotOf[tokens[i]];
            slots[i] = Math.Max(0, slot);
            isTag[i] = slot >= 0 ? 1f : 0f;
            positions[i] = i % windowLength;
        }

        graph.Slots.SetData(slots);
        graph.IsTag.SetData(isTag);
        graph.Positions.SetData(positions);
        var scatter = new float[graph.Scatter.ElementCount];
        var k = (int)graph.Scatter.Shape[0];
        for (var i = 0; i < Plan.NewIds.Count; i++)
        {
            scatter[(Plan.NewIds[i] * k) + i] = 1f;
        }

        graph.Scatter.SetData(scatter);
        var mask = new float[windowLength * windowLength];
        for (var qi = 0; qi < windowLength; qi++)
        {
            for (var ki = qi + 1; ki < windowLength; ki++)
            {
                mask[(qi * windowLength) + ki] = float.NegativeInfinity;
            }
        }

        graph.Mask.SetData(mask);
    }

    /// <summary>Forward pass only: the logits [T·B · V] of <paramref name="tokens"/> (B windows of T), a row per token.</summary>
    public float[] Logits(GgmlBackend backend, int[] tokens, int windowLength) => Forward(backend, tokens, windowLength, built => built.Logits);

    /// <summary>Forward pass only: the mode head's two logits (mode1, mode2) per token [T·B · 2].</summary>
    /// <exception cref="InvalidOperationException">The graph has no head.</exception>
    public float[] ModeLogits(GgmlBackend backend, int[] tokens, int windowLength) => HasModeHead
        ? Forward(backend, tokens, windowLength, built => built.ModeLogits!.Value)
        : throw new InvalidOperationException("This tune graph has no mode head.");

    private float[] Forward(GgmlBackend backend, int[] tokens, int windowLength, Func<Built, GgmlTensor> pick)
    {
        var graphSize = Math.Max(GgmlContext.DefaultGraphSize, ForwardNodeEstimate * 2);
        using var scheduler = new GgmlScheduler([backend], graphSize);
        using var ctx = new GgmlContext(graphSize, 1, graphSize);
        var built = Build(ctx, windowLength, tokens.Length / windowLength);
        var output = pick(built).SetOutput();
        var graph = ctx.NewGraph(graphSize);
        graph.BuildForwardExpand(built.Logits); // every input SetInputs writes is in the graph (the scatter only feeds the logits)
        graph.BuildForwardExpand(output);
        scheduler.Allocate(graph);
        SetInputs(built, tokens, windowLength);
        scheduler.Compute(graph);
        return output.ToArray<float>();
    }

    /// <summary>
    /// A tensor of the tuned model as it will be written: the base weight plus (alpha / r) · B·A for an adapted
    /// projection, plus the tag rows for the embedding and output.
    /// </summary>
    public float[] Merged(string name, bool includeLora = true)
    {
        var values = ReadBase(name);
        var e = Model.EmbeddingSize;
        if (name == "token_embd.weight" || name == "output.weight")
        {
            var rows = (name == "output.weight" ? TagOutput : TagEmbedding).ToArray<float>();
            for (var i = 0; i < Plan.NewIds.Count; i++)
            {
                var target = values.AsSpan(Plan.NewIds[i] * e, e);
                System.Numerics.Tensors.TensorPrimitives.Add(target, rows.AsSpan(i * e, e), target);
            }

            return values;
        }

        if (includeLora && TryGetLora(name, out var a, out var b))
        {
            AddLowRank(values, a, b, _base[name].Shape, Mode.Rank, Mode.Scale);
        }

        return values;
    }

    /// <summary>W[o, i] += scale · Σ_j B[o, j] · A[j, i] for W [in, out], A [in, r], B [r, out] (ggml shapes).</summary>
    public static void AddLowRank(float[] weight, float[] a, float[] b, long[] shape, int rank, float scale)
    {
        var inputs = (int)shape[0];
        var outputs = (int)shape[1];
        for (var o = 0; o < outputs; o++)
        {
            var row = weight.AsSpan(o * inputs, inputs);
            for (var j = 0; j < rank; j++)
            {
                var coefficient = scale * b[(o * rank) + j];
                if (coefficient != 0f)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(a.AsSpan(j * inputs, inputs), coefficient, row, row);
                }
            }
        }
    }

    public void Dispose() => _weights.Dispose();

    private static long[] Extend(string name, long[] shape, int vocab) =>
        name is "token_embd.weight" or "output.weight" ? [shape[0], vocab] : shape;

    private void LoadBase()
    {
        var e = Model.EmbeddingSize;
        foreach (var (name, tensor) in _base)
        {
            var values = Model.Read(name);
            if (name is "token_embd.weight" or "output.weight")
            {
                var extended = new float[tensor.ElementCount];
                values.CopyTo(extended, 0);
                foreach (var id in Plan.NewIds.Where(id => id < Plan.BaseVocabSize))
                {
                    Array.Clear(extended, id * e, e); // a reused reserved token starts from the tag rows alone
                }

                values = extended;
            }

            tensor.SetData(values);
        }
    }

    /// <summary>Tag rows: the mean of the base's ordinary tokens' rows plus a little seeded noise; LoRA: A ~ N(0, 1/in), B = 0.</summary>
    private void InitializeTrainable(long seed)
    {
        var rng = SplitMix64.ForStream(seed, -7);
        InitTagRows(TagEmbedding, "token_embd.weight", ref rng);
        if (!Model.Tied)
        {
            InitTagRows(TagOutput, "output.weight", ref rng);
        }

        if (_modeWeight is { } weight && _modeBias is { } bias)
        {
            // Zero output weights start the head at p = 0.5; a linear head's gradient is useful from there (the problem
            // is convex in it). A hidden layer starts random (its own stream, so a head changes nothing else's start)
            // and learns once the output weights have moved.
            weight.SetData(new float[weight.ElementCount]);
            bias.SetData(new float[bias.ElementCount]);
            if (_modeHiddenWeight is { } hiddenWeight && _modeHiddenBias is { } hiddenBias)
            {
                var headRng = SplitMix64.ForStream(seed, -8);
                var values = new float[hiddenWeight.ElementCount];
                var sigma = 1.0 / Math.Sqrt(Model.EmbeddingSize);
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = (float)(headRng.NextGaussian() * sigma);
                }

                hiddenWeight.SetData(values);
                hiddenBias.SetData(new float[hiddenBias.ElementCount]);
            }
        }

        foreach (var (a, b) in _lora.Values)
        {
            var inputs = a.Shape[0];
            var values = new float[a.ElementCount];
            var sigma = 1.0 / Math.Sqrt(inputs);
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)(rng.NextGaussian() * sigma);
            }

            a.SetData(values);
            b.SetData(new float[b.ElementCount]);
        }
    }

    private void InitTagRows(GgmlTensor rows, string source, ref SplitMix64 rng)
    {
        var e = Model.EmbeddingSize;
        var values = _base[source].ToArray<float>();
        var mean = new double[e];
        var count = 0;
        for (var id = 0; id < Plan.BaseVocabSize; id++)
        {
            if (Model.TokenTypes[id] != 1 || _slotOf[id] >= 0)
            {
                continue;
            }

            for (var i = 0; i < e; i++)
            {
                mean[i] += values[(id * e) + i];
            }

            count++;
        }

        var spread = 0.0;
        for (var i = 0; i < e; i++)
        {
            mean[i] /= Math.Max(1, count);
            spread += mean[i] * mean[i];
        }

        var noise = 0.01 * Math.Sqrt(spread / e) + 1e-4;
        var init = new float[rows.ElementCount];
        for (var i = 0; i < init.Length; i++)
        {
            init[i] = (float)(mean[i % e] + (rng.NextGaussian() * noise));
        }

        rows.SetData(init);
    }

    private GgmlTensor Rope(GgmlContext ctx, GgmlTensor a, GgmlTensor positions) =>
        ctx.RopeExt(a, positions, Model.HeadSize, Model.Architecture.Rope, Model.RopeFrequencyBase, 1f, Model.ContextLength, 0f, 1f, 32f, 1f);

    internal readonly record struct Built(GgmlTensor Tokens, GgmlTensor Slots, GgmlTensor IsTag, GgmlTensor Scatter, GgmlTensor Positions, GgmlTensor Mask, GgmlTensor Logits)
    {
        /// <summary>The mode head's logits [2, T·B] (mode1, mode2), when the graph has a head.</summary>
        public GgmlTensor? ModeLogits { get; init; }
    }
}
