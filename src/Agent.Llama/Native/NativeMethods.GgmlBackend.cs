using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>ggml-backend.h imports: dynamic backend loading, registries and devices (libggml).</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryNames.Ggml, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void ggml_backend_load_all_from_path(string directory);

    [LibraryImport(LibraryNames.Ggml, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ggml_backend_load(string path);

    [LibraryImport(LibraryNames.Ggml)]
    public static partial nuint ggml_backend_reg_count();

    [LibraryImport(LibraryNames.Ggml)]
    public static partial IntPtr ggml_backend_reg_get(nuint index);

    [LibraryImport(LibraryNames.Ggml, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ggml_backend_reg_by_name(string name);

    [LibraryImport(LibraryNames.Ggml)]
    public static partial nuint ggml_backend_dev_count();

    [LibraryImport(LibraryNames.Ggml)]
    public static partial IntPtr ggml_backend_dev_get(nuint index);

    [LibraryImport(LibraryNames.Ggml)]
    public static partial IntPtr ggml_backend_dev_by_type(int type);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_backend_reg_name(IntPtr reg);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_backend_reg_dev_count(IntPtr reg);

    [LibraryImport(LibraryNames.GgmlBase, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ggml_backend_reg_get_proc_address(IntPtr reg, string name);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_backend_dev_name(IntPtr device);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_backend_dev_description(IntPtr device);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial int ggml_backend_dev_type(IntPtr device);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_backend_dev_memory(IntPtr device, nuint* free, nuint* total);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_backend_dev_backend_reg(IntPtr device);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_backend_tensor_set(IntPtr tensor, void* data, nuint offset, nuint size);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_backend_tensor_memset(IntPtr tensor, byte value, nuint offset, nuint size);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_backend_tensor_get(IntPtr tensor, void* data, nuint offset, nuint size);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_log_set(delegate* unmanaged[Cdecl]<int, byte*, void*, void> callback, void* userData);
}
