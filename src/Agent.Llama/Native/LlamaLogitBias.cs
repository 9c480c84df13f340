using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>llama_logit_bias</c> (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaLogitBias
{
    public int token;
    public float bias;
}
