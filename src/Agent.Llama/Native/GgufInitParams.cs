using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>struct gguf_init_params</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GgufInitParams
{
    public byte no_alloc;
    public IntPtr ctx;
}
