using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>struct ggml_init_params</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GgmlInitParams
{
    public nuint mem_size;
    public IntPtr mem_buffer;
    public byte no_alloc;
}
