using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>llama_token_data_array</c> (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaTokenDataArray
{
    public LlamaTokenData* data;
    public nuint size;
    public long selected;
    public byte sorted;
}
