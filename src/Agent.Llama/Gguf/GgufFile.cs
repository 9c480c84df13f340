using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Gguf;

/// <summary>A GGUF file read with ggml's gguf reader: its metadata, its tensor list, and F32 tensor data.</summary>
public sealed unsafe class GgufFile : IDisposable
{
    private const int TypeUInt8 = 0, TypeInt8 = 1, TypeUInt16 = 2, TypeInt16 = 3, TypeUInt32 = 4, TypeInt32 = 5, TypeFloat32 = 6,
        TypeBool = 7, TypeString = 8, TypeArray = 9, TypeUInt64 = 10, TypeInt64 = 11, TypeFloat64 = 12;

    private readonly SafeGgufContextHandle _gguf;
    private readonly SafeGgmlContextHandle _data;

    private GgufFile(string path, SafeGgufContextHandle gguf, SafeGgmlContextHandle data)
    {
        Path = path;
        _gguf = gguf;
        _data = data;
        Metadata = ReadMetadata();
        Tensors = ReadTensors();
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Metadata values: string, integers, float, double, bool, or arrays of those (string[], int[], float[], ...).</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    /// <summary>The tensors.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Reads a GGUF file, tensor data included.</summary>
    /// <exception cref="GgufException">The file is missing, not GGUF, truncated or corrupt.</exception>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new GgufException($"GGUF file '{full}' does not exist.");
        }

        LlamaRuntime.EnsureInitialized();
        IntPtr ggml = IntPtr.Zero;
        var p = new GgufInitParams { no_alloc = 0, ctx = (IntPtr)(&ggml) };
        NativeLog.BeginCapture();
        var gguf = new SafeGgufContextHandle(NativeMethods.gguf_init_from_file(full, p));
        if (gguf.IsInvalid)
        {
            throw new GgufException($"'{full}' is not a readable GGUF file: {NativeLog.CapturedProblems()}. It may be truncated or corrupt.");
        }

        return new GgufFile(full, gguf, new SafeGgmlContextHandle(ggml));
    }

    /// <summary>The metadata key of a model's chat template.</summary>
    public const string ChatTemplateKey = "tokenizer.chat_template";

    /// <summary>The chat template (<see cref="ChatTemplateKey"/>), or null when there is none or it is blank.</summary>
    public string? ChatTemplate => Metadata.TryGetValue(ChatTemplateKey, out var t) && t is string s && !string.IsNullOrWhiteSpace(s) ? s : null;

    /// <summary>
    /// A GGUF file's chat template, as <see cref="ChatTemplate"/>, read from its metadata alone: unlike <see cref="Open"/>, no
    /// tensor data is read, so asking a model of many gigabytes for its template costs a few kilobytes.
    /// </summary>
    /// <exception cref="GgufException">The file is missing, not GGUF, truncated or corrupt.</exception>
    public static string? ReadChatTemplate(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new GgufException($"GGUF file '{full}' does not exist.");
        }

        LlamaRuntime.EnsureInitialized();
        NativeLog.BeginCapture();
        using var gguf = new SafeGgufContextHandle(NativeMethods.gguf_init_from_file(full, new GgufInitParams { no_alloc = 1, ctx = IntPtr.Zero }));
        if (gguf.IsInvalid)
        {
            throw new GgufException($"'{full}' is not a readable GGUF file: {NativeLog.CapturedProblems()}. It may be truncated or corrupt.");
        }

        var ctx = gguf.Pointer;
        var key = NativeMethods.gguf_find_key(ctx, ChatTemplateKey);
        if (key < 0 || NativeMethods.gguf_get_kv_type(ctx, key) != TypeString)
        {
            return null;
        }

        var template = Marshal.PtrToStringUTF8(NativeMethods.gguf_get_val_str(ctx, key));
        return string.IsNullOrWhiteSpace(template) ? null : template;
    }

    /// <summary>Copies an F32 tensor's values.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidOperationException">The tensor is not F32.</exception>
    public float[] ReadTensorF32(string name)
    {
        var info = Tensors.FirstOrDefault(t => t.Name == name)
            ?? throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'.");
        if (info.Type != "f32")
        {
            throw new InvalidOperationException($"Tensor '{name}' in '{Path}' is {info.Type}, not f32.");
        }

        var tensor = NativeMethods.ggml_get_tensor(_data.Pointer, name);
        var count = checked((int)NativeMethods.ggml_nelements(tensor));
        return new ReadOnlySpan<float>(NativeMethods.ggml_get_data(tensor), count).ToArray();
    }

    /// <summary>
    /// A tensor's values as F32, dequantized with ggml's own converter when it is stored as F16, BF16, Q8_0 or Q4_K
    /// (<see cref="GgufTensorType"/>).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="NotSupportedException">The tensor is of another type (e.g. Q4_0, Q6_K, IQ*).</exception>
    public float[] ReadTensorAsF32(string name)
    {
        var index = IndexOf(name);
        var type = NativeMethods.gguf_get_tensor_type(_gguf.Pointer, index);
        if (!GgufTensorCodec.IsSupported(type))
        {
            throw new NotSupportedException(
                $"Tensor '{name}' in '{Path}' is {Tensors[index].Type}; tensors are read as F32, F16, BF16, Q8_0 or Q4_K. Convert the model to one of those (llama-quantize --allow-requantize MODEL OUT q8_0).");
        }

        var tensor = NativeMethods.ggml_get_tensor(_data.Pointer, name);
        var count = NativeMethods.ggml_nelements(tensor);
        var bytes = checked((int)NativeMethods.ggml_nbytes(tensor));
        return GgufTensorCodec.ToFloat((GgufTensorType)type, new ReadOnlySpan<byte>(NativeMethods.ggml_get_data(tensor), bytes), count);
    }

    /// <summary>The ggml type of a tensor (a value of <c>enum ggml_type</c>).</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public int TensorType(string name) => NativeMethods.gguf_get_tensor_type(_gguf.Pointer, IndexOf(name));

    internal SafeGgufContextHandle Handle => _gguf;

    private int IndexOf(string name)
    {
        for (var i = 0; i < Tensors.Count; i++)
        {
            if (Tensors[i].Name == name)
            {
                return i;
            }
        }

        throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _gguf.Dispose();
        _data.Dispose();
    }

    private Dictionary<string, object> ReadMetadata()
    {
        var ctx = _gguf.Pointer;
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        var n = NativeMethods.gguf_get_n_kv(ctx);
        for (long i = 0; i < n; i++)
        {
            var key = Marshal.PtrToStringUTF8(NativeMethods.gguf_get_key(ctx, i)) ?? string.Empty;
            var type = NativeMethods.gguf_get_kv_type(ctx, i);
            result[key] = type == TypeArray ? ReadArray(ctx, i) : ReadScalar(ctx, i, type);
        }

        return result;
    }

    private static object ReadScalar(IntPtr ctx, long i, int type) => type switch
    {
        TypeUInt32 => NativeMethods.gguf_get_val_u32(ctx, i),
        TypeInt32 => NativeMethods.gguf_get_val_i32(ctx, i),
        TypeFloat32 => NativeMethods.gguf_get_val_f32(ctx, i),
        TypeUInt64 => NativeMethods.gguf_get_val_u64(ctx, i),
        TypeBool => NativeMethods.gguf_get_val_bool(ctx, i),
        TypeString => Marshal.PtrToStringUTF8(NativeMethods.gguf_get_val_str(ctx, i)) ?? string.Empty,
        _ => ReadRaw(ctx, i, type),
    };

    private static object ReadRaw(IntPtr ctx, long i, int type)
    {
        // Remaining scalar types are read through the value's data pointer (gguf aborts on a getter of the wrong type).
        var data = (byte*)NativeMethods.gguf_get_val_data(ctx, i);
        return type switch
        {
            TypeUInt8 => *data,
            TypeInt8 => *(sbyte*)data,
            TypeUInt16 => *(ushort*)data,
            TypeInt16 => *(short*)data,
            TypeInt64 => *(long*)data,
            TypeFloat64 => *(double*)data,
            _ => $"(gguf type {type})",
        };
    }

    private static object ReadArray(IntPtr ctx, long i)
    {
        var type = NativeMethods.gguf_get_arr_type(ctx, i);
        var count = (int)NativeMethods.gguf_get_arr_n(ctx, i);
        if (type == TypeString)
        {
            var strings = new string[count];
            for (var j = 0; j < count; j++)
            {
                strings[j] = Marshal.PtrToStringUTF8(NativeMethods.gguf_get_arr_str(ctx, i, (nuint)j)) ?? string.Empty;
            }

            return strings;
        }

        var data = NativeMethods.gguf_get_arr_data(ctx, i);
        return type switch
        {
            TypeInt32 => new ReadOnlySpan<int>(data, count).ToArray(),
            TypeUInt32 => new ReadOnlySpan<uint>(data, count).ToArray(),
            TypeFloat32 => new ReadOnlySpan<float>(data, count).ToArray(),
            TypeInt64 => new ReadOnlySpan<long>(data, count).ToArray(),
            TypeUInt8 => new ReadOnlySpan<byte>(data, count).ToArray(),
            TypeInt8 => new ReadOnlySpan<sbyte>(data, count).ToArray(),
            TypeBool => new ReadOnlySpan<byte>(data, count).ToArray().Select(b => b != 0).ToArray(),
            TypeFloat64 => new ReadOnlySpan<double>(data, count).ToArray(),
            _ => $"(array of gguf type {type}, {count} elements)",
        };
    }

    private List<GgufTensorInfo> ReadTensors()
    {
        var ctx = _gguf.Pointer;
        var n = NativeMethods.gguf_get_n_tensors(ctx);
        var list = new List<GgufTensorInfo>((int)n);
        for (long i = 0; i < n; i++)
        {
            var name = Marshal.PtrToStringUTF8(NativeMethods.gguf_get_tensor_name(ctx, i)) ?? string.Empty;
            var type = Marshal.PtrToStringUTF8(NativeMethods.ggml_type_name(NativeMethods.gguf_get_tensor_type(ctx, i))) ?? "?";
            var ne = NativeMethods.gguf_get_tensor_ne(ctx, i);
            var dims = 4;
            while (dims > 1 && ne[dims - 1] == 1)
            {
                dims--;
            }

            list.Add(new GgufTensorInfo(name, type, new ReadOnlySpan<long>(ne, dims).ToArray()));
        }

        return list;
    }
}
