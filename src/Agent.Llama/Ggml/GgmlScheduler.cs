using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>
/// A <c>ggml_backend_sched</c>: allocates a graph's intermediate tensors (those without memory) across backends and
/// computes it. The last backend must be the CPU. Keeps its backends alive.
/// </summary>
public sealed class GgmlScheduler : IDisposable
{
    private readonly SafeGgmlBackendSchedHandle _handle;

    /// <summary>Creates a scheduler over <paramref name="backends"/> (in priority order, the CPU last) for graphs of up to <paramref name="graphSize"/> nodes.</summary>
    /// <exception cref="ArgumentException">No backend, more than 16, or the last is not the CPU.</exception>
    public unsafe GgmlScheduler(IReadOnlyList<GgmlBackend> backends, int graphSize = GgmlContext.DefaultGraphSize)
    {
        ArgumentNullException.ThrowIfNull(backends);
        ArgumentOutOfRangeException.ThrowIfLessThan(graphSize, 1);
        if (backends.Count is 0 or > 16)
        {
            throw new ArgumentException($"A scheduler takes 1 to 16 backends; {backends.Count} were given.", nameof(backends));
        }

        if (!backends[^1].IsCpu)
        {
            throw new ArgumentException($"The last backend of a scheduler must be the CPU; it is '{backends[^1].Name}'. Add GgmlBackend.Cpu() last.", nameof(backends));
        }

        var pointers = stackalloc IntPtr[backends.Count];
        for (var i = 0; i < backends.Count; i++)
        {
            pointers[i] = backends[i].Handle.Pointer;
        }

        _handle = NativeMethods.ggml_backend_sched_new(pointers, null, backends.Count, (nuint)graphSize, parallel: false, opOffload: true);
        if (_handle.IsInvalid)
        {
            throw new GgmlBackendException("ggml_backend_sched_new returned no scheduler.");
        }

        foreach (var backend in backends)
        {
            _handle.KeepAlive(backend.Handle);
        }

        GraphSize = graphSize;
    }

    /// <summary>The graph size the scheduler was created for.</summary>
    public int GraphSize { get; }

    internal SafeGgmlBackendSchedHandle Handle => _handle;

    /// <summary>Allocates the graph's tensors that have no memory, so inputs can be written before <see cref="Compute"/>.</summary>
    /// <exception cref="GgmlBackendException">The backends could not allocate the graph.</exception>
    public void Allocate(GgmlGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        CheckSize(graph);
        NativeLog.BeginCapture();
        if (!NativeMethods.ggml_backend_sched_alloc_graph(_handle, graph.Pointer))
        {
            throw new GgmlBackendException($"The scheduler could not allocate the graph: {NativeLog.CapturedProblems()}");
        }
    }

    /// <summary>Computes the graph (allocating it first if <see cref="Allocate"/> was not called).</summary>
    /// <exception cref="GgmlBackendException">The compute failed.</exception>
    public void Compute(GgmlGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        CheckSize(graph);
        NativeLog.BeginCapture();
        var status = NativeMethods.ggml_backend_sched_graph_compute(_handle, graph.Pointer);
        if (status != 0)
        {
            throw new GgmlBackendException($"The scheduler failed to compute the graph (ggml_status {status}): {NativeLog.CapturedProblems()}");
        }
    }

    /// <summary>Forgets the last allocation, so a different graph can be allocated.</summary>
    public void Reset() => NativeMethods.ggml_backend_sched_reset(_handle);

    /// <summary>Frees the scheduler and releases its backends.</summary>
    public void Dispose() => _handle.Dispose();

    private void CheckSize(GgmlGraph graph)
    {
        if (graph.Size > GraphSize)
        {
            throw new GgmlCapacityException($"The graph has size {graph.Size}; this scheduler was created for graphs of up to {GraphSize}.");
        }
    }
}
