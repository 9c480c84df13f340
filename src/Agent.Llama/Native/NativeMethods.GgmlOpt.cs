using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>ggml-opt.h imports: datasets, the optimization context, results and one optimizer step (libggml-base).</summary>
internal static unsafe partial class NativeMethods
{
    // ---- dataset ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial SafeGgmlOptDatasetHandle ggml_opt_dataset_init(int typeData, int typeLabel, long neDatapoint, long neLabel, long ndata, long ndataShard);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_dataset_free(IntPtr dataset);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial long ggml_opt_dataset_ndata(SafeGgmlOptDatasetHandle dataset);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_opt_dataset_data(SafeGgmlOptDatasetHandle dataset);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_opt_dataset_labels(SafeGgmlOptDatasetHandle dataset);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_dataset_shuffle(SafeGgmlOptContextHandle context, SafeGgmlOptDatasetHandle dataset, long idata);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_dataset_get_batch(SafeGgmlOptDatasetHandle dataset, IntPtr dataBatch, IntPtr labelsBatch, long ibatch);

    // ---- context ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial GgmlOptParams ggml_opt_default_params(SafeGgmlBackendSchedHandle scheduler, int lossType);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial GgmlOptOptimizerParams ggml_opt_get_default_optimizer_params(void* userData);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial SafeGgmlOptContextHandle ggml_opt_init(GgmlOptParams parameters);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_free(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_reset(SafeGgmlOptContextHandle context, [MarshalAs(UnmanagedType.U1)] bool optimizer);

    [LibraryImport(LibraryNames.GgmlBase)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ggml_opt_static_graphs(SafeGgmlOptContextHandle context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_opt_inputs(SafeGgmlOptContextHandle context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_opt_outputs(SafeGgmlOptContextHandle context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_opt_labels(SafeGgmlOptContextHandle context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_opt_loss(SafeGgmlOptContextHandle context);

    // ---- result ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial SafeGgmlOptResultHandle ggml_opt_result_init();

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_free(IntPtr result);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_reset(SafeGgmlOptResultHandle result);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_ndata(SafeGgmlOptResultHandle result, long* ndata);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_loss(SafeGgmlOptResultHandle result, double* loss, double* uncertainty);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_accuracy(SafeGgmlOptResultHandle result, double* accuracy, double* uncertainty);

    // ---- computation ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_prepare_alloc(SafeGgmlOptContextHandle context, IntPtr computeContext, IntPtr forwardGraph, IntPtr inputs, IntPtr outputs);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_alloc(SafeGgmlOptContextHandle context, [MarshalAs(UnmanagedType.U1)] bool backward);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_opt_eval(SafeGgmlOptContextHandle context, IntPtr result);
}
