using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>struct ggml_opt_params</c> (72 bytes). Start from <c>ggml_opt_default_params</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GgmlOptParams
{
    public IntPtr backend_sched;
    public IntPtr ctx_compute;
    public IntPtr inputs;
    public IntPtr outputs;
    public int loss_type;
    public int build_type;
    public int opt_period;
    public delegate* unmanaged[Cdecl]<void*, GgmlOptOptimizerParams> get_opt_pars;
    public void* get_opt_pars_ud;
    public int optimizer;
}
