using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// Imports that tag-tuning a pretrained GGUF needs (llama.cpp commit c0c7e147): ggml's quantizer and type traits (to read
/// F16 / BF16 / Q8_0 / Q4_K weights as F32 and to write quantized ones) and copying gguf metadata (llama.cpp's LoRA
/// adapter API comes from LLamaSharp).
/// </summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>Offset of <c>to_float</c> in ggml.h's <c>struct ggml_type_traits</c> (name, blck_size, blck_size_interleave, type_size, is_quantized, then it).</summary>
    public const int TypeTraitsToFloatOffset = 40;

    /// <summary>
    /// <c>GGML_TYPE_COUNT</c> at this commit (the last type is MXFP4, 39): <c>ggml_type_name</c> and
    /// <c>ggml_get_type_traits</c> read past their table for a type at or above it.
    /// </summary>
    public const int GgmlTypeCount = 40;

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_get_type_traits(int type);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_quantize_chunk(int type, float* source, void* destination, long start, long rows, long rowLength, float* importance);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void gguf_set_kv(IntPtr destination, IntPtr source);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long gguf_remove_key(IntPtr context, string key);
}
