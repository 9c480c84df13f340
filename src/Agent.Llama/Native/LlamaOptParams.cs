using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>struct llama_opt_params</c> (48 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaOptParams
{
    public uint n_ctx_train;
    public delegate* unmanaged[Cdecl]<IntPtr, void*, byte> param_filter;
    public void* param_filter_ud;
    public delegate* unmanaged[Cdecl]<void*, GgmlOptOptimizerParams> get_opt_pars;
    public void* get_opt_pars_ud;
    public int optimizer_type;
}
