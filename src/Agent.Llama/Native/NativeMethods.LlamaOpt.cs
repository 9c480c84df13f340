using System.Runtime.InteropServices;
using LLama.Native;

namespace Agent.Llama.Native;

/// <summary>
/// llama.h training imports (<c>llama_opt_*</c>, libllama; LLamaSharp binds none of them). They take LLamaSharp's context and
/// model handles, whose marshalling holds a reference for the call. Our own training builds its graph with ggml instead.
/// </summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_opt_param_filter_all(IntPtr tensor, void* userData);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_opt_init(SafeLLamaContextHandle context, SafeLlamaModelHandle model, LlamaOptParams parameters);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_opt_epoch(
        SafeLLamaContextHandle context, SafeGgmlOptDatasetHandle dataset, IntPtr resultTrain, IntPtr resultEval,
        long idataSplit, IntPtr callbackTrain, IntPtr callbackEval);
}
