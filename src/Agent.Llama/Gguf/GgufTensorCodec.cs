using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Gguf;

/// <summary>
/// Converts tensor data between F32 and the types of <see cref="GgufTensorType"/> with ggml's own row converters
/// (<c>ggml_get_type_traits(type)->to_float</c> and <c>ggml_quantize_chunk</c>), so values read or written here are
/// exactly those llama.cpp computes with.
/// </summary>
public static unsafe class GgufTensorCodec
{
    /// <summary>Whether <paramref name="ggmlType"/> (a value of <c>enum ggml_type</c>) is one of <see cref="GgufTensorType"/>.</summary>
    public static bool IsSupported(int ggmlType) => Enum.IsDefined(typeof(GgufTensorType), ggmlType);

    /// <summary>Bytes of <paramref name="elements"/> values of <paramref name="type"/> in rows of <paramref name="rowLength"/>.</summary>
    /// <exception cref="ArgumentException">The row length is not a multiple of the type's block size.</exception>
    public static long ByteCount(GgufTensorType type, long elements, long rowLength)
    {
        LlamaRuntime.EnsureInitialized();
        CheckRow(type, rowLength);
        return (long)NativeMethods.ggml_row_size((int)type, rowLength) * (elements / rowLength);
    }

    /// <summary>The values of <paramref name="elements"/> elements of <paramref name="type"/> stored at <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The data is shorter than the elements need.</exception>
    public static float[] ToFloat(GgufTensorType type, ReadOnlySpan<byte> data, long elements)
    {
        LlamaRuntime.EnsureInitialized();
        var values = new float[elements];
        if (type == GgufTensorType.F32)
        {
            MemoryMarshal.Cast<byte, float>(data)[..values.Length].CopyTo(values);
            return values;
        }

        var block = NativeMethods.ggml_blck_size((int)type);
        var needed = (long)NativeMethods.ggml_row_size((int)type, block) * (elements / block);
        if (elements % block != 0 || data.Length < needed)
        {
            throw new ArgumentException($"{elements} {type} values need {needed} bytes in blocks of {block}; {data.Length} bytes were given.", nameof(data));
        }

        var traits = NativeMethods.ggml_get_type_traits((int)type);
        var toFloat = (delegate* unmanaged<void*, float*, long, void>)Marshal.ReadIntPtr(traits, NativeMethods.TypeTraitsToFloatOffset);
        fixed (byte* source = data)
        fixed (float* destination = values)
        {
            toFloat(source, destination, elements);
        }

        return values;
    }

    /// <summary>
    /// <paramref name="values"/> (rows of <paramref name="rowLength"/>) converted to <paramref name="type"/>; quantized
    /// types use ggml's reference quantizer without an importance matrix, as <c>llama-quantize</c> does without one.
    /// </summary>
    /// <exception cref="ArgumentException">The row length is not a multiple of the type's block size, or does not divide the values.</exception>
    public static byte[] FromFloat(GgufTensorType type, ReadOnlySpan<float> values, long rowLength)
    {
        LlamaRuntime.EnsureInitialized();
        CheckRow(type, rowLength);
        if (values.Length % rowLength != 0)
        {
            throw new ArgumentException($"{values.Length} values do not fill rows of {rowLength}.", nameof(values));
        }

        var rows = values.Length / rowLength;
        var bytes = new byte[(long)NativeMethods.ggml_row_size((int)type, rowLength) * rows];
        fixed (float* source = values)
        fixed (byte* destination = bytes)
        {
            NativeMethods.ggml_quantize_chunk((int)type, source, destination, 0, rows, rowLength, null);
        }

        return bytes;
    }

    private static void CheckRow(GgufTensorType type, long rowLength)
    {
        var block = NativeMethods.ggml_blck_size((int)type);
        if (rowLength <= 0 || rowLength % block != 0)
        {
            throw new ArgumentException($"{type} stores rows in blocks of {block} values; a row of {rowLength} does not fit. Keep such a tensor in F32.", nameof(rowLength));
        }
    }
}
