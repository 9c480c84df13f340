using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// Graph, backend, buffer and scheduler imports (ggml.h, ggml-backend.h, ggml-alloc.h). All live in libggml-base
/// except <c>ggml_backend_init_by_type</c>, which needs the registry in libggml.
/// </summary>
internal static unsafe partial class NativeMethods
{
    // ---- graphs ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_new_graph_custom(IntPtr context, nuint size, [MarshalAs(UnmanagedType.U1)] bool grads);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_build_forward_expand(IntPtr graph, IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int ggml_graph_n_nodes(IntPtr graph);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_graph_node(IntPtr graph, int index);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int ggml_graph_size(IntPtr graph);

    // ---- backends ----
    [LibraryImport(LibraryNames.Ggml, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeGgmlBackendHandle ggml_backend_init_by_type(int type, string? parameters);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeGgmlBackendHandle ggml_backend_dev_init(IntPtr device, string? parameters);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_backend_free(IntPtr backend);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_backend_name(SafeGgmlBackendHandle backend);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_backend_get_device(SafeGgmlBackendHandle backend);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int ggml_backend_graph_compute(SafeGgmlBackendHandle backend, IntPtr graph);

    // ---- buffers (ggml-alloc.h) ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial SafeGgmlBackendBufferHandle ggml_backend_alloc_ctx_tensors(SafeGgmlContextHandle context, SafeGgmlBackendHandle backend);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_backend_buffer_free(IntPtr buffer);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_backend_buffer_get_size(SafeGgmlBackendBufferHandle buffer);

    // ---- scheduler ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial SafeGgmlBackendSchedHandle ggml_backend_sched_new(
        IntPtr* backends, IntPtr* bufferTypes, int backendCount, nuint graphSize,
        [MarshalAs(UnmanagedType.U1)] bool parallel, [MarshalAs(UnmanagedType.U1)] bool opOffload);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_backend_sched_free(IntPtr scheduler);

    [LibraryImport(LibraryNames.GgmlBase)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ggml_backend_sched_alloc_graph(SafeGgmlBackendSchedHandle scheduler, IntPtr graph);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int ggml_backend_sched_graph_compute(SafeGgmlBackendSchedHandle scheduler, IntPtr graph);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_backend_sched_reset(SafeGgmlBackendSchedHandle scheduler);
}
