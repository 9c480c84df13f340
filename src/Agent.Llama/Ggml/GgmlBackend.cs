using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>A ggml backend instance (the CPU, or one CUDA device) that allocates tensors and computes graphs.</summary>
public sealed class GgmlBackend : IDisposable
{
    private const int DeviceTypeCpu = 0;
    private const int DeviceTypeGpu = 1;

    private readonly SafeGgmlBackendHandle _handle;

    private GgmlBackend(SafeGgmlBackendHandle handle, bool isCpu, int threads)
    {
        _handle = handle;
        IsCpu = isCpu;
        Threads = threads;
        Name = Marshal.PtrToStringUTF8(NativeMethods.ggml_backend_name(handle)) ?? "?";
    }

    /// <summary>The backend's name (e.g. <c>CPU</c>, <c>CUDA0</c>).</summary>
    public string Name { get; }

    /// <summary>Whether this is the CPU backend.</summary>
    public bool IsCpu { get; }

    /// <summary>The CPU thread count last set (0 for other backends).</summary>
    public int Threads { get; private set; }

    internal SafeGgmlBackendHandle Handle => _handle;

    /// <summary>The number of GPU devices ggml found (0 with the CPU-only libraries).</summary>
    public static int GpuDeviceCount
    {
        get
        {
            LlamaRuntime.EnsureInitialized();
            return GpuDevices().Count;
        }
    }

    /// <summary>The CPU backend with <paramref name="threads"/> threads (0: one per processor).</summary>
    /// <exception cref="GgmlBackendException">No CPU device is registered.</exception>
    public static GgmlBackend Cpu(int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        LlamaRuntime.EnsureInitialized();
        var device = NativeMethods.ggml_backend_dev_by_type(DeviceTypeCpu);
        if (device == IntPtr.Zero)
        {
            throw new GgmlBackendException("ggml has no CPU device: no libggml-cpu-*.so was loaded. Check LlamaRuntime.Info.Devices.");
        }

        var backend = new GgmlBackend(Init(device, "CPU"), isCpu: true, threads: 0);
        backend.SetThreads(threads == 0 ? Environment.ProcessorCount : threads);
        return backend;
    }

    /// <summary>The CUDA backend of GPU <paramref name="device"/> (0-based among GPU devices).</summary>
    /// <exception cref="GgmlBackendException">There is no such GPU device (CPU-only libraries, no driver, or index too large).</exception>
    public static GgmlBackend Cuda(int device = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(device);
        LlamaRuntime.EnsureInitialized();
        var gpus = GpuDevices();
        if (device >= gpus.Count)
        {
            throw new GgmlBackendException(
                $"GPU device {device} does not exist: ggml found {gpus.Count} GPU device(s). Initialise LlamaRuntime with Backend 'cuda' (and build with -p:LlamaBackends=\"cpu;cuda\", which restores LLamaSharp.Backend.Cuda12.Linux) or with Llama:NativeLibraryPath set to a CUDA build of llama.cpp commit c0c7e147, or use GgmlBackend.Cpu.");
        }

        return new GgmlBackend(Init(gpus[device], $"GPU {device}"), isCpu: false, threads: 0);
    }

    /// <summary>The first GPU if there is one, else the CPU with <paramref name="cpuThreads"/> threads.</summary>
    public static GgmlBackend Best(int cpuThreads = 0) => GpuDeviceCount > 0 ? Cuda(0) : Cpu(cpuThreads);

    /// <summary>Sets the CPU backend's thread count (through the CPU registry's <c>ggml_backend_set_n_threads</c>).</summary>
    /// <exception cref="NotSupportedException">The backend is not the CPU.</exception>
    public unsafe void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (!IsCpu)
        {
            throw new NotSupportedException($"Backend '{Name}' has no thread count; only the CPU backend does.");
        }

        var device = NativeMethods.ggml_backend_get_device(_handle);
        var reg = NativeMethods.ggml_backend_dev_backend_reg(device);
        var setter = (delegate* unmanaged[Cdecl]<IntPtr, int, void>)NativeMethods.ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads");
        if (setter == null)
        {
            throw new NotSupportedException($"Backend '{Name}' does not export ggml_backend_set_n_threads.");
        }

        setter(_handle.Pointer, threads);
        Threads = threads;
    }

    /// <summary>Computes <paramref name="graph"/>; every tensor in it must already have memory on this backend.</summary>
    /// <exception cref="InvalidOperationException">A tensor of the graph has no memory.</exception>
    /// <exception cref="GgmlBackendException">The compute failed.</exception>
    public void Compute(GgmlGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        for (var i = 0; i < graph.NodeCount; i++)
        {
            var node = graph.Node(i);
            if (!node.IsAllocated)
            {
                throw new InvalidOperationException(
                    $"Node '{node.Name}' of the graph has no memory. Create the graph's tensors in a context and call AllocateTensors after building it, or use a GgmlScheduler.");
            }
        }

        NativeLog.BeginCapture();
        var status = NativeMethods.ggml_backend_graph_compute(_handle, graph.Pointer);
        if (status != 0)
        {
            throw new GgmlBackendException($"Backend '{Name}' failed to compute the graph (ggml_status {status}): {NativeLog.CapturedProblems()}");
        }
    }

    /// <summary>Frees the backend.</summary>
    public void Dispose() => _handle.Dispose();

    private static SafeGgmlBackendHandle Init(IntPtr device, string what)
    {
        NativeLog.BeginCapture();
        var handle = NativeMethods.ggml_backend_dev_init(device, null);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new GgmlBackendException($"ggml could not initialise the {what} backend: {NativeLog.CapturedProblems()}");
        }

        return handle;
    }

    private static List<IntPtr> GpuDevices()
    {
        var list = new List<IntPtr>();
        var count = (int)NativeMethods.ggml_backend_dev_count();
        for (var i = 0; i < count; i++)
        {
            var device = NativeMethods.ggml_backend_dev_get((nuint)i);
            if (NativeMethods.ggml_backend_dev_type(device) == DeviceTypeGpu)
            {
                list.Add(device);
            }
        }

        return list;
    }
}
