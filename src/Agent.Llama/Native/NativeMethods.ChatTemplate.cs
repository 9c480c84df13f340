using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>The gguf offsets that locate one tensor row in a file (llama.cpp commit c0c7e147; chat templates come from LLamaSharp).</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint gguf_get_data_offset(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint gguf_get_tensor_offset(IntPtr context, long tensorId);
}
