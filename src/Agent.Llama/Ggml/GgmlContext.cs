using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>
/// A ggml context: the metadata of tensors and graphs. It is always created with <c>no_alloc</c>, so tensor data
/// lives in backend memory: <see cref="AllocateTensors"/> for weights and inputs you own, or a scheduler / optimizer
/// for intermediate results. Ops check ggml's shape and type rules first and throw <see cref="GgmlShapeException"/>
/// instead of letting ggml abort the process. Not thread-safe.
/// </summary>
public sealed class GgmlContext : IDisposable, IGgmlTensorOwner
{
    /// <summary>ggml's default graph size (GGML_DEFAULT_GRAPH_SIZE).</summary>
    public const int DefaultGraphSize = 2048;

    private readonly SafeGgmlContextHandle _handle;
    private readonly List<GgmlBackendBuffer> _buffers = [];

    /// <summary>Creates a context with room for <paramref name="maxTensors"/> tensors and <paramref name="maxGraphs"/> graphs.</summary>
    /// <param name="maxTensors">Tensors, including every op result and view.</param>
    /// <param name="maxGraphs">Graphs of <paramref name="graphSize"/> nodes (with gradients) this context will hold.</param>
    /// <param name="graphSize">Node capacity of each graph.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative or the graph size is below 1.</exception>
    public GgmlContext(int maxTensors, int maxGraphs = 0, int graphSize = DefaultGraphSize)
        : this(Bytes(maxTensors, maxGraphs, graphSize))
    {
    }

    internal GgmlContext(long memoryBytes)
    {
        LlamaRuntime.EnsureInitialized();
        var handle = NativeMethods.ggml_init(new GgmlInitParams { mem_size = (nuint)memoryBytes, mem_buffer = IntPtr.Zero, no_alloc = 1 });
        if (handle == IntPtr.Zero)
        {
            throw new GgmlCapacityException($"ggml_init could not allocate {memoryBytes} bytes of tensor metadata.");
        }

        _handle = new SafeGgmlContextHandle(handle);
    }

    /// <summary>Bytes of metadata memory the context was created with.</summary>
    public long MemorySize => (long)NativeMethods.ggml_get_mem_size(Pointer);

    /// <summary>Bytes of metadata memory used so far.</summary>
    public long UsedMemory => (long)NativeMethods.ggml_used_mem(Pointer);

    /// <summary>Every tensor of the context, in creation order.</summary>
    public IEnumerable<GgmlTensor> Tensors
    {
        get
        {
            for (var t = NativeMethods.ggml_get_first_tensor(Pointer); t != IntPtr.Zero; t = NativeMethods.ggml_get_next_tensor(Pointer, t))
            {
                yield return new GgmlTensor(t, this);
            }
        }
    }

    internal SafeGgmlContextHandle Handle => _handle;

    internal IntPtr Pointer => _handle.Pointer;

    /// <summary>The metadata bytes a context needs for the given tensors and graphs.</summary>
    public static long Bytes(int maxTensors, int maxGraphs = 0, int graphSize = DefaultGraphSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTensors);
        ArgumentOutOfRangeException.ThrowIfNegative(maxGraphs);
        ArgumentOutOfRangeException.ThrowIfLessThan(graphSize, 1);
        LlamaRuntime.EnsureInitialized();
        return ((long)maxTensors * (long)NativeMethods.ggml_tensor_overhead())
            + (maxGraphs * (long)NativeMethods.ggml_graph_overhead_custom((nuint)graphSize, grads: true));
    }

    /// <summary>Creates a tensor of 1 to 4 dimensions (<paramref name="shape"/>[0] is the fastest-varying).</summary>
    /// <exception cref="GgmlShapeException">Fewer than 1 or more than 4 dimensions, or a negative extent.</exception>
    /// <exception cref="GgmlCapacityException">The context is full.</exception>
    public GgmlTensor NewTensor(GgmlType type, params ReadOnlySpan<long> shape)
    {
        var ne = GgmlChecks.CheckShape(shape);
        if (!Enum.IsDefined(type))
        {
            throw new GgmlShapeException($"Unknown tensor type {(int)type}.");
        }

        EnsureRoomForTensor("NewTensor");
        var p = ne.Length switch
        {
            1 => NativeMethods.ggml_new_tensor_1d(Pointer, (int)type, ne[0]),
            2 => NativeMethods.ggml_new_tensor_2d(Pointer, (int)type, ne[0], ne[1]),
            3 => NativeMethods.ggml_new_tensor_3d(Pointer, (int)type, ne[0], ne[1], ne[2]),
            _ => NativeMethods.ggml_new_tensor_4d(Pointer, (int)type, ne[0], ne[1], ne[2], ne[3]),
        };
        return Wrap(p);
    }

    /// <summary>Creates an empty graph of <paramref name="size"/> nodes; <paramref name="gradients"/> reserves room for backward passes.</summary>
    /// <exception cref="GgmlCapacityException">The context has no room for the graph.</exception>
    public GgmlGraph NewGraph(int size = DefaultGraphSize, bool gradients = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var need = (long)NativeMethods.ggml_graph_overhead_custom((nuint)size, gradients);
        if (UsedMemory + need > MemorySize)
        {
            throw new GgmlCapacityException(
                $"The ggml context has {MemorySize - UsedMemory} of {MemorySize} bytes free; a graph of {size} nodes needs {need}. Create the GgmlContext with more maxGraphs or a larger graphSize.");
        }

        return new GgmlGraph(this, NativeMethods.ggml_new_graph_custom(Pointer, (nuint)size, gradients), size);
    }

    /// <summary>
    /// Allocates every not-yet-allocated tensor of this context in one buffer of <paramref name="backend"/>. The buffer is
    /// freed with this context (or earlier, by disposing it).
    /// </summary>
    /// <exception cref="GgmlBackendException">No tensor needs memory, or the backend could not allocate it.</exception>
    public GgmlBackendBuffer AllocateTensors(GgmlBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var needed = Tensors.Any(t => !t.IsAllocated && t.ByteCount > 0);
        if (!needed)
        {
            throw new GgmlBackendException("AllocateTensors: every tensor of this context is already allocated or empty; create tensors first.");
        }

        NativeLog.BeginCapture();
        var handle = NativeMethods.ggml_backend_alloc_ctx_tensors(_handle, backend.Handle);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new GgmlBackendException($"Backend '{backend.Name}' could not allocate this context's tensors: {NativeLog.CapturedProblems()}");
        }

        var buffer = new GgmlBackendBuffer(handle);
        _buffers.Add(buffer);
        return buffer;
    }

    /// <summary>Gathers rows of <paramref name="a"/> ([n_embd, n_rows…]) by the I32 indices in <paramref name="rows"/> (embedding lookup).</summary>
    public GgmlTensor GetRows(GgmlTensor a, GgmlTensor rows)
    {
        const string op = "GetRows";
        IntPtr pa = a.Pointer, pb = rows.Pointer;
        GgmlChecks.RequireType(op, "rows", pb, GgmlType.I32);
        if (GgmlChecks.Ne(pa, 2) != GgmlChecks.Ne(pb, 1) || GgmlChecks.Ne(pa, 3) != GgmlChecks.Ne(pb, 2) || GgmlChecks.Ne(pb, 3) != 1)
        {
            throw new GgmlShapeException($"{op}: data {GgmlChecks.Named(pa)} and rows {GgmlChecks.Named(pb)} need data.ne[2] == rows.ne[1], data.ne[3] == rows.ne[2] and rows.ne[3] == 1.");
        }

        return Op(op, () => NativeMethods.ggml_get_rows(Pointer, pa, pb));
    }

    /// <summary>RMS-normalises each row (dimension 0) of an F32 tensor: x / sqrt(mean(x²) + eps).</summary>
    public GgmlTensor RmsNorm(GgmlTensor a, float eps)
    {
        var pa = a.Pointer;
        GgmlChecks.RequireType("RmsNorm", "input", pa, GgmlType.F32);
        return Op("RmsNorm", () => NativeMethods.ggml_rms_norm(Pointer, pa, eps));
    }

    /// <summary>Element-wise a * b; <paramref name="b"/> is broadcast (repeated) over <paramref name="a"/>.</summary>
    public GgmlTensor Mul(GgmlTensor a, GgmlTensor b) => Binary("Mul", a, b, static (c, x, y) => NativeMethods.ggml_mul(c, x, y));

    /// <summary>Element-wise a + b; <paramref name="b"/> is broadcast (repeated) over <paramref name="a"/>.</summary>
    public GgmlTensor Add(GgmlTensor a, GgmlTensor b) => Binary("Add", a, b, static (c, x, y) => NativeMethods.ggml_add(c, x, y));

    /// <summary>
    /// Matrix product in ggml's convention: <paramref name="a"/> [k, n] (n rows of k), <paramref name="b"/> [k, m]
    /// gives [n, m], i.e. result row j = a · b_j. So y = W x is <c>MulMat(W, x)</c> with W [n_in, n_out], x [n_in, n_tokens].
    /// </summary>
    public GgmlTensor MulMat(GgmlTensor a, GgmlTensor b)
    {
        const string op = "MulMat";
        IntPtr pa = a.Pointer, pb = b.Pointer;
        GgmlChecks.RequireType(op, "a", pa, GgmlType.F32, GgmlType.F16, GgmlType.BF16);
        GgmlChecks.RequireType(op, "b", pb, GgmlType.F32);
        if (GgmlChecks.Ne(pa, 0) != GgmlChecks.Ne(pb, 0))
        {
            throw new GgmlShapeException($"{op}: a {GgmlChecks.Named(pa)} and b {GgmlChecks.Named(pb)} must have the same ne[0] (the shared inner dimension).");
        }

        if (GgmlChecks.Ne(pb, 2) % GgmlChecks.Ne(pa, 2) != 0 || GgmlChecks.Ne(pb, 3) % GgmlChecks.Ne(pa, 3) != 0)
        {
            throw new GgmlShapeException($"{op}: a {GgmlChecks.Named(pa)} must broadcast over b {GgmlChecks.Named(pb)} in dimensions 2 and 3.");
        }

        if (NativeMethods.ggml_is_transposed(pa))
        {
            throw new GgmlShapeException($"{op}: a {GgmlChecks.Named(pa)} is a transposed view; pass it through Cont first.");
        }

        return Op(op, () => NativeMethods.ggml_mul_mat(Pointer, pa, pb));
    }

    /// <summary>
    /// Rotary position embedding of <paramref name="a"/> [head_dim, n_head, n_tokens] by the I32
    /// <paramref name="positions"/> [n_tokens]. Defaults disable YaRN; <see cref="GgmlRopeMode.Normal"/> is llama's.
    /// </summary>
    public GgmlTensor RopeExt(
        GgmlTensor a, GgmlTensor positions, int dimensions, GgmlRopeMode mode = GgmlRopeMode.Normal, float freqBase = 10000f,
        float freqScale = 1f, int originalContext = 0, float extFactor = 0f, float attnFactor = 1f, float betaFast = 32f,
        float betaSlow = 1f, GgmlTensor frequencyFactors = default)
    {
        const string op = "RopeExt";
        IntPtr pa = a.Pointer, pb = positions.Pointer, pc = frequencyFactors.PointerOrZero;
        GgmlChecks.RequireType(op, "input", pa, GgmlType.F32, GgmlType.F16);
        GgmlChecks.RequireType(op, "positions", pb, GgmlType.I32);
        if (mode is not (GgmlRopeMode.Normal or GgmlRopeMode.NeoX))
        {
            throw new GgmlShapeException($"{op}: mode {mode} is not supported; use Normal or NeoX.");
        }

        if (GgmlChecks.Ne(pb, 1) != 1 || GgmlChecks.Ne(pb, 2) != 1 || GgmlChecks.Ne(pb, 3) != 1 || GgmlChecks.Ne(pb, 0) != GgmlChecks.Ne(pa, 2))
        {
            throw new GgmlShapeException($"{op}: positions {GgmlChecks.Named(pb)} must be a vector of input.ne[2] = {GgmlChecks.Ne(pa, 2)} entries (one per token) for input {GgmlChecks.Named(pa)}.");
        }

        if (dimensions <= 0 || dimensions % 2 != 0 || dimensions > GgmlChecks.Ne(pa, 0))
        {
            throw new GgmlShapeException($"{op}: dimensions {dimensions} must be even, positive and at most input.ne[0] = {GgmlChecks.Ne(pa, 0)}.");
        }

        if (pc != IntPtr.Zero)
        {
            GgmlChecks.RequireType(op, "frequency factors", pc, GgmlType.F32);
            if (GgmlChecks.Ne(pc, 0) < dimensions / 2)
            {
                throw new GgmlShapeException($"{op}: frequency factors {GgmlChecks.Named(pc)} need at least dimensions/2 = {dimensions / 2} entries.");
            }
        }

        return Op(op, () => NativeMethods.ggml_rope_ext(
            Pointer, pa, pb, pc, dimensions, (int)mode, originalContext, freqBase, freqScale, extFactor, attnFactor, betaFast, betaSlow));
    }

    /// <summary>A view of a contiguous tensor with a new shape of the same element count (2 to 4 dimensions; 1 is [n, 1]).</summary>
    public GgmlTensor Reshape(GgmlTensor a, params ReadOnlySpan<long> shape)
    {
        const string op = "Reshape";
        var ne = GgmlChecks.CheckShape(shape);
        var pa = a.Pointer;
        GgmlChecks.RequireContiguous(op, "input", pa);
        long count = 1;
        foreach (var e in ne)
        {
            count *= e;
        }

        if (count != GgmlChecks.Elements(pa))
        {
            throw new GgmlShapeException($"{op}: input {GgmlChecks.Named(pa)} has {GgmlChecks.Elements(pa)} elements; shape [{string.Join(", ", ne)}] has {count}.");
        }

        return Op(op, () => ne.Length switch
        {
            1 => NativeMethods.ggml_reshape_2d(Pointer, pa, ne[0], 1),
            2 => NativeMethods.ggml_reshape_2d(Pointer, pa, ne[0], ne[1]),
            3 => NativeMethods.ggml_reshape_3d(Pointer, pa, ne[0], ne[1], ne[2]),
            _ => NativeMethods.ggml_reshape_4d(Pointer, pa, ne[0], ne[1], ne[2], ne[3]),
        });
    }

    /// <summary>A 1-d view of <paramref name="ne0"/> elements starting <paramref name="offset"/> bytes into <paramref name="a"/>.</summary>
    public GgmlTensor View1D(GgmlTensor a, long ne0, long offset) =>
        View(a, [ne0], [], offset, (c, p) => NativeMethods.ggml_view_1d(c, p, ne0, (nuint)offset));

    /// <summary>A 2-d view with row stride <paramref name="nb1"/> bytes.</summary>
    public GgmlTensor View2D(GgmlTensor a, long ne0, long ne1, long nb1, long offset) =>
        View(a, [ne0, ne1], [nb1], offset, (c, p) => NativeMethods.ggml_view_2d(c, p, ne0, ne1, (nuint)nb1, (nuint)offset));

    /// <summary>A 3-d view with strides <paramref name="nb1"/>, <paramref name="nb2"/> bytes.</summary>
    public GgmlTensor View3D(GgmlTensor a, long ne0, long ne1, long ne2, long nb1, long nb2, long offset) =>
        View(a, [ne0, ne1, ne2], [nb1, nb2], offset, (c, p) => NativeMethods.ggml_view_3d(c, p, ne0, ne1, ne2, (nuint)nb1, (nuint)nb2, (nuint)offset));

    /// <summary>A 4-d view with strides <paramref name="nb1"/>..<paramref name="nb3"/> bytes.</summary>
    public GgmlTensor View4D(GgmlTensor a, long ne0, long ne1, long ne2, long ne3, long nb1, long nb2, long nb3, long offset) =>
        View(a, [ne0, ne1, ne2, ne3], [nb1, nb2, nb3], offset, (c, p) => NativeMethods.ggml_view_4d(c, p, ne0, ne1, ne2, ne3, (nuint)nb1, (nuint)nb2, (nuint)nb3, (nuint)offset));

    /// <summary>Permutes dimensions: source dimension i becomes result dimension axis_i (ggml_permute semantics). A view.</summary>
    public GgmlTensor Permute(GgmlTensor a, int axis0, int axis1, int axis2, int axis3)
    {
        var pa = a.Pointer;
        int[] axes = [axis0, axis1, axis2, axis3];
        if (axes.Any(x => x is < 0 or > 3) || axes.Distinct().Count() != 4)
        {
            throw new GgmlShapeException($"Permute: axes ({string.Join(", ", axes)}) must be a permutation of 0, 1, 2, 3.");
        }

        return Op("Permute", () => NativeMethods.ggml_permute(Pointer, pa, axis0, axis1, axis2, axis3));
    }

    /// <summary>Swaps dimensions 0 and 1 (a view; use <see cref="Cont"/> to make it contiguous).</summary>
    public GgmlTensor Transpose(GgmlTensor a)
    {
        var pa = a.Pointer;
        return Op("Transpose", () => NativeMethods.ggml_transpose(Pointer, pa));
    }

    /// <summary>A contiguous copy of <paramref name="a"/>.</summary>
    public GgmlTensor Cont(GgmlTensor a)
    {
        var pa = a.Pointer;
        return Op("Cont", () => NativeMethods.ggml_cont(Pointer, pa));
    }

    /// <summary>A copy of <paramref name="a"/>.</summary>
    public GgmlTensor Dup(GgmlTensor a)
    {
        var pa = a.Pointer;
        return Op("Dup", () => NativeMethods.ggml_dup(Pointer, pa));
    }

    /// <summary>Copies <paramref name="a"/> into <paramref name="b"/> (same element count), returning a view of b.</summary>
    public GgmlTensor Copy(GgmlTensor a, GgmlTensor b)
    {
        IntPtr pa = a.Pointer, pb = b.Pointer;
        if (GgmlChecks.Elements(pa) != GgmlChecks.Elements(pb))
        {
            throw new GgmlShapeException($"Copy: source {GgmlChecks.Named(pa)} and destination {GgmlChecks.Named(pb)} must have the same element count.");
        }

        return Op("Copy", () => NativeMethods.ggml_cpy(Pointer, pa, pb));
    }

    /// <summary>
    /// softmax(a * scale + mask) along dimension 0. <paramref name="mask"/> (optional, F32/F16, [a.ne0, ≥ a.ne1]) is
    /// added before the softmax: 0 to keep, -inf to hide (a causal mask). <paramref name="maxBias"/> &gt; 0 turns on ALiBi.
    /// </summary>
    public GgmlTensor SoftMaxExt(GgmlTensor a, GgmlTensor mask = default, float scale = 1f, float maxBias = 0f)
    {
        const string op = "SoftMaxExt";
        IntPtr pa = a.Pointer, pm = mask.PointerOrZero;
        GgmlChecks.RequireType(op, "input", pa, GgmlType.F32);
        GgmlChecks.RequireContiguous(op, "input", pa);
        if (pm != IntPtr.Zero)
        {
            GgmlChecks.RequireType(op, "mask", pm, GgmlType.F32, GgmlType.F16);
            GgmlChecks.RequireContiguous(op, "mask", pm);
            if (GgmlChecks.Ne(pm, 0) != GgmlChecks.Ne(pa, 0) || GgmlChecks.Ne(pm, 1) < GgmlChecks.Ne(pa, 1)
                || GgmlChecks.Ne(pa, 2) % GgmlChecks.Ne(pm, 2) != 0 || GgmlChecks.Ne(pa, 3) % GgmlChecks.Ne(pm, 3) != 0)
            {
                throw new GgmlShapeException(
                    $"{op}: mask {GgmlChecks.Named(pm)} must have mask.ne[0] == input.ne[0], mask.ne[1] >= input.ne[1] and broadcast in dimensions 2, 3 over input {GgmlChecks.Named(pa)}.");
            }
        }
        else if (maxBias > 0f)
        {
            throw new GgmlShapeException($"{op}: ALiBi (maxBias > 0) needs a mask.");
        }

        return Op(op, () => NativeMethods.ggml_soft_max_ext(Pointer, pa, pm, scale, maxBias));
    }

    /// <summary>Sets elements above the diagonal (column &gt; row + <paramref name="pastTokens"/>) to -inf.</summary>
    public GgmlTensor DiagMaskInf(GgmlTensor a, int pastTokens = 0)
    {
        var pa = a.Pointer;
        GgmlChecks.RequireType("DiagMaskInf", "input", pa, GgmlType.F32);
        return Op("DiagMaskInf", () => NativeMethods.ggml_diag_mask_inf(Pointer, pa, pastTokens));
    }

    /// <summary>a * <paramref name="s"/>.</summary>
    public GgmlTensor Scale(GgmlTensor a, float s)
    {
        var pa = a.Pointer;
        GgmlChecks.RequireType("Scale", "input", pa, GgmlType.F32);
        var nb = (ulong)NativeMethods.ggml_type_size(GgmlChecks.Type(pa));
        if (GgmlTensorLayout.ReadNb(pa, 0) != nb
            || GgmlTensorLayout.ReadNb(pa, 2) != GgmlTensorLayout.ReadNb(pa, 1) * (ulong)GgmlChecks.Ne(pa, 1)
            || GgmlTensorLayout.ReadNb(pa, 3) != GgmlTensorLayout.ReadNb(pa, 2) * (ulong)GgmlChecks.Ne(pa, 2))
        {
            throw new GgmlShapeException($"Scale: input {GgmlChecks.Named(pa)} must be contiguous apart from row padding; pass it through Cont first.");
        }

        return Op("Scale", () => NativeMethods.ggml_scale(Pointer, pa, s));
    }

    /// <summary>x * sigmoid(x).</summary>
    public GgmlTensor Silu(GgmlTensor a)
    {
        var pa = a.Pointer;
        GgmlChecks.RequireType("Silu", "input", pa, GgmlType.F32);
        return Op("Silu", () => NativeMethods.ggml_silu(Pointer, pa));
    }

    /// <summary>silu(<paramref name="gate"/>) * <paramref name="up"/> (llama's feed-forward), both the same shape.</summary>
    public GgmlTensor SwiGlu(GgmlTensor gate, GgmlTensor up)
    {
        const string op = "SwiGlu";
        IntPtr pa = gate.Pointer, pb = up.Pointer;
        GgmlChecks.RequireType(op, "gate", pa, GgmlType.F32);
        GgmlChecks.RequireType(op, "up", pb, GgmlType.F32);
        if (!GgmlChecks.SameShape(pa, pb))
        {
            throw new GgmlShapeException($"{op}: gate {GgmlChecks.Named(pa)} and up {GgmlChecks.Named(pb)} must have the same shape.");
        }

        if (!NativeMethods.ggml_is_contiguous_1(pa) || !NativeMethods.ggml_is_contiguous_1(pb))
        {
            throw new GgmlShapeException($"{op}: gate and up must have contiguous rows; pass them through Cont first.");
        }

        return Op(op, () => NativeMethods.ggml_swiglu_split(Pointer, pa, pb));
    }

    /// <summary>
    /// Cross-entropy of softmax(<paramref name="logits"/>) against <paramref name="labels"/> (probabilities, same shape,
    /// one row per datapoint), averaged over rows: an F32 scalar.
    /// </summary>
    public GgmlTensor CrossEntropyLoss(GgmlTensor logits, GgmlTensor labels)
    {
        const string op = "CrossEntropyLoss";
        IntPtr pa = logits.Pointer, pb = labels.Pointer;
        GgmlChecks.RequireType(op, "logits", pa, GgmlType.F32);
        GgmlChecks.RequireType(op, "labels", pb, GgmlType.F32);
        if (!GgmlChecks.SameShape(pa, pb))
        {
            throw new GgmlShapeException($"{op}: logits {GgmlChecks.Named(pa)} and labels {GgmlChecks.Named(pb)} must have the same shape.");
        }

        return Op(op, () => NativeMethods.ggml_cross_entropy_loss(Pointer, pa, pb));
    }

    /// <summary>Sum of all elements: an F32 scalar.</summary>
    public GgmlTensor Sum(GgmlTensor a)
    {
        var pa = a.Pointer;
        GgmlChecks.RequireType("Sum", "input", pa, GgmlType.F32);
        return Op("Sum", () => NativeMethods.ggml_sum(Pointer, pa));
    }

    /// <summary>Mean of each row (along dimension 0): shape [1, ne1, ne2, ne3].</summary>
    public GgmlTensor Mean(GgmlTensor a)
    {
        var pa = a.Pointer;
        GgmlChecks.RequireType("Mean", "input", pa, GgmlType.F32);
        return Op("Mean", () => NativeMethods.ggml_mean(Pointer, pa));
    }

    /// <summary>Frees the context's metadata and the buffers <see cref="AllocateTensors"/> made.</summary>
    public void Dispose()
    {
        foreach (var buffer in _buffers)
        {
            buffer.Dispose();
        }

        _buffers.Clear();
        _handle.Dispose();
    }

    void IGgmlTensorOwner.ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);

    internal GgmlTensor Wrap(IntPtr tensor) => new(tensor, this);

    internal void EnsureRoomForTensor(string op)
    {
        var need = (long)NativeMethods.ggml_tensor_overhead();
        var used = UsedMemory;
        var size = MemorySize;
        if (used + need > size)
        {
            throw new GgmlCapacityException(
                $"{op}: the ggml context is full ({used} of {size} bytes used, a tensor needs {need}); create the GgmlContext with a larger maxTensors.");
        }
    }

    private GgmlTensor Binary(string op, GgmlTensor a, GgmlTensor b, Func<IntPtr, IntPtr, IntPtr, IntPtr> native)
    {
        IntPtr pa = a.Pointer, pb = b.Pointer;
        GgmlChecks.RequireType(op, "a", pa, GgmlType.F32);
        GgmlChecks.RequireType(op, "b", pb, GgmlType.F32);
        if (!GgmlChecks.CanRepeat(pb, pa))
        {
            throw new GgmlShapeException($"{op}: b {GgmlChecks.Named(pb)} must broadcast onto a {GgmlChecks.Named(pa)} (each a.ne[i] a multiple of b.ne[i]).");
        }

        var ctx = Pointer;
        return Op(op, () => native(ctx, pa, pb));
    }

    private GgmlTensor View(GgmlTensor a, long[] ne, long[] nb, long offset, Func<IntPtr, IntPtr, IntPtr> native)
    {
        const string op = "View";
        var pa = a.Pointer;
        if (ne.Any(e => e < 0) || nb.Any(s => s < 0) || offset < 0)
        {
            throw new GgmlShapeException($"{op}: extents, strides and offset must be >= 0.");
        }

        var type = GgmlChecks.Type(pa);
        long size = ne.Any(e => e == 0) ? 0 : (long)NativeMethods.ggml_row_size(type, ne[0]);
        for (var i = 1; i < ne.Length; i++)
        {
            size *= ne[i];
        }

        var baseTensor = GgmlTensorLayout.ReadViewSrc(pa);
        var baseOffset = offset;
        if (baseTensor != IntPtr.Zero)
        {
            baseOffset += (long)GgmlTensorLayout.ReadViewOffs(pa);
        }
        else
        {
            baseTensor = pa;
        }

        var available = (long)NativeMethods.ggml_nbytes(baseTensor);
        if (size != 0 && size + baseOffset > available)
        {
            throw new GgmlShapeException(
                $"{op}: a view of [{string.Join(", ", ne)}] ({size} bytes) at byte {baseOffset} reaches past the {available} bytes of {GgmlChecks.Named(baseTensor)}.");
        }

        return Op(op, () => native(Pointer, pa));
    }

    private GgmlTensor Op(string op, Func<IntPtr> native)
    {
        EnsureRoomForTensor(op);
        var result = native();
        if (result == IntPtr.Zero)
        {
            throw new GgmlCapacityException($"{op}: ggml returned no tensor (the context is full).");
        }

        return Wrap(result);
    }
}
