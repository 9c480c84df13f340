using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>llama_token_data</c> (12 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaTokenData
{
    public int id;
    public float logit;
    public float p;
}
