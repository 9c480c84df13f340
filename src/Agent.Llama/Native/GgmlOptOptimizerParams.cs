using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>struct ggml_opt_optimizer_params</c> (28 bytes): the AdamW and SGD hyper-parameters of one step.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GgmlOptOptimizerParams
{
    public float adamw_alpha;
    public float adamw_beta1;
    public float adamw_beta2;
    public float adamw_eps;
    public float adamw_wd;
    public float sgd_alpha;
    public float sgd_wd;
}
