using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>gguf.h imports and the ggml context / tensor basics GGUF writing needs (libggml-base).</summary>
internal static unsafe partial class NativeMethods
{
    // ---- ggml context and tensors ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_init(GgmlInitParams parameters);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_free(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_new_tensor(IntPtr context, int type, int dimensions, long* ne);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ggml_set_name(IntPtr tensor, string name);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_get_name(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_nbytes(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial long ggml_nelements(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void* ggml_get_data(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_tensor_overhead();

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ggml_get_tensor(IntPtr context, string name);

    // ---- gguf ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr gguf_init_empty();

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr gguf_init_from_file(string path, GgufInitParams parameters);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void gguf_free(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial long gguf_get_n_kv(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial long gguf_find_key(IntPtr context, string key);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr gguf_get_key(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int gguf_get_kv_type(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int gguf_get_arr_type(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial uint gguf_get_val_u32(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int gguf_get_val_i32(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial float gguf_get_val_f32(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial ulong gguf_get_val_u64(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool gguf_get_val_bool(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr gguf_get_val_str(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void* gguf_get_val_data(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint gguf_get_arr_n(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void* gguf_get_arr_data(IntPtr context, long keyId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr gguf_get_arr_str(IntPtr context, long keyId, nuint index);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial long gguf_get_n_tensors(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr gguf_get_tensor_name(IntPtr context, long tensorId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int gguf_get_tensor_type(IntPtr context, long tensorId);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial long* gguf_get_tensor_ne(IntPtr context, long tensorId);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gguf_set_val_u32(IntPtr context, string key, uint value);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gguf_set_val_i32(IntPtr context, string key, int value);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gguf_set_val_f32(IntPtr context, string key, float value);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gguf_set_val_u64(IntPtr context, string key, ulong value);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gguf_set_val_bool(IntPtr context, string key, [MarshalAs(UnmanagedType.U1)] bool value);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gguf_set_val_str(IntPtr context, string key, string value);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gguf_set_arr_data(IntPtr context, string key, int type, void* data, nuint count);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gguf_set_arr_str(IntPtr context, string key, byte** data, nuint count);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void gguf_add_tensor(IntPtr context, IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool gguf_write_to_file(IntPtr context, string path, [MarshalAs(UnmanagedType.U1)] bool onlyMeta);
}
