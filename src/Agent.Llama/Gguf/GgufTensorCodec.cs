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

    /// <summary>
    /// Whether ggml can turn values of <paramref name="ggmlType"/> (any value of <c>enum ggml_type</c>, not only those of
    /// <see cref="GgufTensorType"/>) into F32: F32 itself, or a type whose <c>to_float</c> row converter is set (the float
    /// and every quantised type; not the integer types, F64, the Q8_1 / Q8_K intermediates or the removed slots).
    /// </summary>
    public static bool CanDecode(int ggmlType)
    {
        LlamaRuntime.EnsureInitialized();
        if (ggmlType is < 0 or >= NativeMethods.GgmlTypeCount || NativeMethods.ggml_blck_size(ggmlType) <= 0)
        {
            return false;
        }

        return ggmlType == (int)GgufTensorType.F32 || ToFloatRow(ggmlType) != null;
    }

    /// <summary>Bytes of one row of <paramref name="rowLength"/> values of <paramref name="ggmlType"/>, or 0 when the row is not whole blocks.</summary>
    public static long RowBytes(int ggmlType, long rowLength)
    {
        LlamaRuntime.EnsureInitialized();
        var block = NativeMethods.ggml_blck_size(ggmlType);
        return block <= 0 || rowLength <= 0 || rowLength % block != 0 ? 0 : (long)NativeMethods.ggml_row_size(ggmlType, rowLength);
    }

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
    public static float[] ToFloat(GgufTensorType type, ReadOnlySpan<byte> data, long elements) => ToFloat((int)type, data, elements);

    /// <summary>
    /// The values of <paramref name="elements"/> elements of <paramref name="ggmlType"/> (any type <see cref="CanDecode"/>
    /// accepts) stored at <paramref name="data"/>.
    /// </summary>
    /// <exception cref="ArgumentException">ggml cannot decode the type, or the data is shorter than the elements need.</exception>
    public static float[] ToFloat(int ggmlType, ReadOnlySpan<byte> data, long elements)
    {
        if (!CanDecode(ggmlType))
        {
            var known = ggmlType is >= 0 and < NativeMethods.GgmlTypeCount ? $" ({Marshal.PtrToStringUTF8(NativeMethods.ggml_type_name(ggmlType))})" : string.Empty;
            throw new ArgumentException($"ggml has no conversion to F32 for tensor type {ggmlType}{known}.", nameof(ggmlType));
        }

        var values = new float[elements];
        var block = NativeMethods.ggml_blck_size(ggmlType);
        var needed = (long)NativeMethods.ggml_row_size(ggmlType, block) * (elements / block);
        if (elements % block != 0 || data.Length < needed)
        {
            var name = Marshal.PtrToStringUTF8(NativeMethods.ggml_type_name(ggmlType));
            throw new ArgumentException($"{elements} {name} values need {needed} bytes in blocks of {block}; {data.Length} bytes were given.", nameof(data));
        }

        if (ggmlType == (int)GgufTensorType.F32)
        {
            MemoryMarshal.Cast<byte, float>(data)[..values.Length].CopyTo(values);
            return values;
        }

        var toFloat = ToFloatRow(ggmlType);
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

    private static delegate* unmanaged<void*, float*, long, void> ToFloatRow(int ggmlType) =>
        (delegate* unmanaged<void*, float*, long, void>)Marshal.ReadIntPtr(NativeMethods.ggml_get_type_traits(ggmlType), NativeMethods.TypeTraitsToFloatOffset);

    private static void CheckRow(GgufTensorType type, long rowLength)
    {
        var block = NativeMethods.ggml_blck_size((int)type);
        if (rowLength <= 0 || rowLength % block != 0)
        {
            throw new ArgumentException($"{type} stores rows in blocks of {block} values; a row of {rowLength} does not fit. Keep such a tensor in F32.", nameof(rowLength));
        }
    }
}
