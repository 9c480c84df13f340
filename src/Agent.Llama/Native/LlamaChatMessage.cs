using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>Mirrors <c>struct llama_chat_message</c> (16 bytes: two UTF-8 string pointers).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaChatMessage
{
    public IntPtr role;
    public IntPtr content;
}
