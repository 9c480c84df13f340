using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>llama.h chat-template imports and the gguf offsets that locate one tensor row in a file (llama.cpp commit c0c7e147).</summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>The model's <c>tokenizer.chat_template</c> (name null) or a named one; null when the model has none.</summary>
    [LibraryImport(LibraryNames.Llama)]
    public static partial byte* llama_model_chat_template(SafeLlamaModelHandle model, byte* name);

    /// <summary>
    /// Formats a chat with one of llama.cpp's built-in templates, chosen by matching <paramref name="tmpl"/> (no Jinja);
    /// returns the formatted length (may exceed <paramref name="length"/>: call again with a larger buffer) or a negative value when the template is not supported.
    /// </summary>
    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_chat_apply_template(byte* tmpl, LlamaChatMessage* chat, nuint nMsg, [MarshalAs(UnmanagedType.U1)] bool addAss, byte* buf, int length);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint gguf_get_data_offset(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint gguf_get_tensor_offset(IntPtr context, long tensorId);
}
