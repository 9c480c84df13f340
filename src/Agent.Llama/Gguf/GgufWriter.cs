using System.Runtime.InteropServices;
using System.Text;
using Agent.Llama.Native;

namespace Agent.Llama.Gguf;

/// <summary>
/// Builds a GGUF file with ggml's own gguf writer: metadata keys and F32 tensors. Names are checked in managed code
/// first, because gguf aborts the process on a duplicate tensor name.
/// </summary>
public sealed unsafe class GgufWriter : IDisposable
{
    private const int GgufTypeInt32 = 5;
    private const int GgufTypeFloat32 = 6;
    private const int GgmlTypeF32 = 0;
    private const int MaxNameLength = 63;

    private readonly SafeGgufContextHandle _gguf;
    private readonly List<SafeGgmlContextHandle> _tensorContexts = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>Creates an empty GGUF.</summary>
    public GgufWriter()
    {
        LlamaRuntime.EnsureInitialized();
        _gguf = new SafeGgufContextHandle(NativeMethods.gguf_init_empty());
    }

    /// <summary>Tensors added so far.</summary>
    public int TensorCount => _tensorNames.Count;

    internal SafeGgufContextHandle Handle => _gguf;

    /// <summary>Sets a string key.</summary>
    public GgufWriter Set(string key, string value)
    {
        CheckKey(key);
        ArgumentNullException.ThrowIfNull(value);
        NativeMethods.gguf_set_val_str(_gguf.Pointer, key, value);
        return this;
    }

    /// <summary>Sets an unsigned 32-bit key.</summary>
    public GgufWriter Set(string key, uint value)
    {
        CheckKey(key);
        NativeMethods.gguf_set_val_u32(_gguf.Pointer, key, value);
        return this;
    }

    /// <summary>Sets a signed 32-bit key.</summary>
    public GgufWriter Set(string key, int value)
    {
        CheckKey(key);
        NativeMethods.gguf_set_val_i32(_gguf.Pointer, key, value);
        return this;
    }

    /// <summary>Sets a 32-bit float key.</summary>
    public GgufWriter Set(string key, float value)
    {
        CheckKey(key);
        NativeMethods.gguf_set_val_f32(_gguf.Pointer, key, value);
        return this;
    }

    /// <summary>Sets a boolean key.</summary>
    public GgufWriter Set(string key, bool value)
    {
        CheckKey(key);
        NativeMethods.gguf_set_val_bool(_gguf.Pointer, key, value);
        return this;
    }

    /// <summary>Sets an array of strings.</summary>
    public GgufWriter Set(string key, IReadOnlyList<string> values)
    {
        CheckKey(key);
        ArgumentNullException.ThrowIfNull(values);
        var pointers = new IntPtr[values.Count];
        try
        {
            for (var i = 0; i < values.Count; i++)
            {
                pointers[i] = Marshal.StringToCoTaskMemUTF8(values[i] ?? throw new ArgumentException($"Element {i} of '{key}' is null.", nameof(values)));
            }

            fixed (IntPtr* p = pointers)
            {
                NativeMethods.gguf_set_arr_str(_gguf.Pointer, key, (byte**)p, (nuint)pointers.Length);
            }
        }
        finally
        {
            foreach (var p in pointers)
            {
                Marshal.FreeCoTaskMem(p);
            }
        }

        return this;
    }

    /// <summary>Sets an array of signed 32-bit integers.</summary>
    public GgufWriter Set(string key, ReadOnlySpan<int> values)
    {
        CheckKey(key);
        fixed (int* p = values)
        {
            NativeMethods.gguf_set_arr_data(_gguf.Pointer, key, GgufTypeInt32, p, (nuint)values.Length);
        }

        return this;
    }

    /// <summary>Sets an array of 32-bit floats.</summary>
    public GgufWriter Set(string key, ReadOnlySpan<float> values)
    {
        CheckKey(key);
        fixed (float* p = values)
        {
            NativeMethods.gguf_set_arr_data(_gguf.Pointer, key, GgufTypeFloat32, p, (nuint)values.Length);
        }

        return this;
    }

    /// <summary>Adds an F32 tensor. <paramref name="shape"/> is in ggml order: shape[0] is the innermost (row) length.</summary>
    /// <exception cref="ArgumentException">The name is empty, too long or already used, or the data does not match the shape.</exception>
    public GgufWriter AddTensor(string name, ReadOnlySpan<float> data, ReadOnlySpan<long> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) > MaxNameLength)
        {
            throw new ArgumentException($"Tensor name '{name}' is longer than ggml's {MaxNameLength} bytes.", nameof(name));
        }

        if (shape.IsEmpty || shape.Length > 4)
        {
            throw new ArgumentException($"Tensor '{name}' needs 1 to 4 dimensions, got {shape.Length}.", nameof(shape));
        }

        long elements = 1;
        foreach (var d in shape)
        {
            if (d <= 0)
            {
                throw new ArgumentException($"Tensor '{name}' has a non-positive dimension {d}.", nameof(shape));
            }

            elements *= d;
        }

        if (elements != data.Length)
        {
            throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}] = {elements} elements but {data.Length} values were given.", nameof(data));
        }

        if (!_tensorNames.Add(name))
        {
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        }

        var bytes = (nuint)(elements * sizeof(float));
        var init = new GgmlInitParams { mem_size = NativeMethods.ggml_tensor_overhead() + bytes + 256, mem_buffer = IntPtr.Zero, no_alloc = 0 };
        var context = new SafeGgmlContextHandle(NativeMethods.ggml_init(init));
        if (context.IsInvalid)
        {
            throw new InsufficientMemoryException($"ggml could not allocate {bytes} bytes for tensor '{name}'.");
        }

        _tensorContexts.Add(context);
        var ne = stackalloc long[4];
        for (var i = 0; i < shape.Length; i++)
        {
            ne[i] = shape[i];
        }

        var tensor = NativeMethods.ggml_new_tensor(context.Pointer, GgmlTypeF32, shape.Length, ne);
        NativeMethods.ggml_set_name(tensor, name);
        data.CopyTo(new Span<float>(NativeMethods.ggml_get_data(tensor), data.Length));
        NativeMethods.gguf_add_tensor(_gguf.Pointer, tensor);
        return this;
    }

    /// <summary>
    /// Copies every metadata key of <paramref name="source"/> (values of any type, arrays included), then removes
    /// <paramref name="except"/>; keys set afterwards replace copied ones.
    /// </summary>
    public GgufWriter CopyMetadata(GgufFile source, params IEnumerable<string> except)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(except);
        NativeMethods.gguf_set_kv(_gguf.Pointer, source.Handle.Pointer);
        foreach (var key in except)
        {
            NativeMethods.gguf_remove_key(_gguf.Pointer, key);
        }

        return this;
    }

    /// <summary>
    /// Adds a tensor stored as <paramref name="type"/>: F32 values converted with <see cref="GgufTensorCodec.FromFloat"/>
    /// (rows are <paramref name="shape"/>[0] long). F32 is <see cref="AddTensor(string, ReadOnlySpan{float}, ReadOnlySpan{long})"/>.
    /// </summary>
    /// <exception cref="ArgumentException">As for the F32 overload, or the row length does not suit the type.</exception>
    public GgufWriter AddTensor(string name, ReadOnlySpan<float> data, ReadOnlySpan<long> shape, GgufTensorType type)
    {
        if (type == GgufTensorType.F32)
        {
            return AddTensor(name, data, shape);
        }

        ArgumentException.ThrowIfNullOrEmpty(name);
        if (shape.IsEmpty || shape.Length > 4)
        {
            throw new ArgumentException($"Tensor '{name}' needs 1 to 4 dimensions, got {shape.Length}.", nameof(shape));
        }

        var encoded = GgufTensorCodec.FromFloat(type, data, shape[0]);
        if (!_tensorNames.Add(name))
        {
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        }

        var init = new GgmlInitParams { mem_size = NativeMethods.ggml_tensor_overhead() + (nuint)encoded.Length + 256, mem_buffer = IntPtr.Zero, no_alloc = 0 };
        var context = new SafeGgmlContextHandle(NativeMethods.ggml_init(init));
        if (context.IsInvalid)
        {
            throw new InsufficientMemoryException($"ggml could not allocate {encoded.Length} bytes for tensor '{name}'.");
        }

        _tensorContexts.Add(context);
        var ne = stackalloc long[4];
        for (var i = 0; i < shape.Length; i++)
        {
            ne[i] = shape[i];
        }

        var tensor = NativeMethods.ggml_new_tensor(context.Pointer, (int)type, shape.Length, ne);
        NativeMethods.ggml_set_name(tensor, name);
        encoded.CopyTo(new Span<byte>(NativeMethods.ggml_get_data(tensor), encoded.Length));
        NativeMethods.gguf_add_tensor(_gguf.Pointer, tensor);
        return this;
    }

    /// <summary>Writes the file.</summary>
    /// <exception cref="GgufException">ggml could not write it.</exception>
    public void WriteToFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        NativeLog.BeginCapture();
        if (!NativeMethods.gguf_write_to_file(_gguf.Pointer, full, false))
        {
            throw new GgufException($"Could not write GGUF file '{full}': {NativeLog.CapturedProblems()}. Check that the folder is writable and the disk has room.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _gguf.Dispose();
        foreach (var context in _tensorContexts)
        {
            context.Dispose();
        }
    }

    private static void CheckKey(string key) => ArgumentException.ThrowIfNullOrWhiteSpace(key);
}
