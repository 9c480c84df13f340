using System.Runtime.InteropServices;
using System.Text;
using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>
/// A tensor of a <see cref="GgmlContext"/> (or of an optimizer or dataset). A light value: it holds the native pointer and
/// its owner, and every access throws <see cref="ObjectDisposedException"/> once the owner is disposed. Dimension 0 is
/// the fastest-varying one (ggml's <c>ne[0]</c>): a matrix of <c>rows</c> rows of <c>cols</c> columns has shape
/// <c>[cols, rows]</c>.
/// </summary>
public readonly struct GgmlTensor : IEquatable<GgmlTensor>
{
    private readonly IntPtr _pointer;
    private readonly IGgmlTensorOwner? _owner;

    internal GgmlTensor(IntPtr pointer, IGgmlTensorOwner owner)
    {
        _pointer = pointer;
        _owner = owner;
    }

    /// <summary>Whether this value refers to a tensor (false for <c>default</c>).</summary>
    public bool IsValid => _pointer != IntPtr.Zero;

    /// <summary>The element type.</summary>
    public GgmlType Type => (GgmlType)GgmlTensorLayout.ReadType(Pointer);

    /// <summary>The four extents <c>ne[0..3]</c> (unused trailing dimensions are 1).</summary>
    public long[] Shape
    {
        get
        {
            var p = Pointer;
            return [GgmlTensorLayout.ReadNe(p, 0), GgmlTensorLayout.ReadNe(p, 1), GgmlTensorLayout.ReadNe(p, 2), GgmlTensorLayout.ReadNe(p, 3)];
        }
    }

    /// <summary>The four byte strides <c>nb[0..3]</c>.</summary>
    public long[] Strides
    {
        get
        {
            var p = Pointer;
            return [(long)GgmlTensorLayout.ReadNb(p, 0), (long)GgmlTensorLayout.ReadNb(p, 1), (long)GgmlTensorLayout.ReadNb(p, 2), (long)GgmlTensorLayout.ReadNb(p, 3)];
        }
    }

    /// <summary>Number of elements.</summary>
    public long ElementCount => NativeMethods.ggml_nelements(Pointer);

    /// <summary>Size of the data in bytes.</summary>
    public long ByteCount => (long)NativeMethods.ggml_nbytes(Pointer);

    /// <summary>The tensor's name (ggml names unnamed graph nodes <c>node_N</c> / <c>leaf_N</c>).</summary>
    public string Name => Marshal.PtrToStringUTF8(NativeMethods.ggml_get_name(Pointer)) ?? string.Empty;

    /// <summary>Whether it is marked as a trainable parameter.</summary>
    public bool IsParameter => (GgmlTensorLayout.ReadFlags(Pointer) & GgmlTensorLayout.FlagParam) != 0;

    /// <summary>Whether its data lives in a backend buffer (or ggml memory), so it can be read and written.</summary>
    public bool IsAllocated
    {
        get
        {
            var p = Pointer;
            return GgmlTensorLayout.ReadBuffer(p) != IntPtr.Zero
                || (GgmlTensorLayout.ReadViewSrc(p) is var src && src != IntPtr.Zero && GgmlTensorLayout.ReadBuffer(src) != IntPtr.Zero);
        }
    }

    /// <summary>Whether the elements are laid out densely in dimension order.</summary>
    public bool IsContiguous => GgmlChecks.IsContiguous(Pointer);

    internal IntPtr Pointer
    {
        get
        {
            if (_owner is null || _pointer == IntPtr.Zero)
            {
                throw new InvalidOperationException("This GgmlTensor is default; create tensors through a GgmlContext.");
            }

            _owner.ThrowIfDisposed();
            return _pointer;
        }
    }

    internal IntPtr PointerOrZero => _pointer == IntPtr.Zero ? IntPtr.Zero : Pointer;

    /// <summary>Compares two tensor references.</summary>
    public static bool operator ==(GgmlTensor left, GgmlTensor right) => left.Equals(right);

    /// <summary>Compares two tensor references.</summary>
    public static bool operator !=(GgmlTensor left, GgmlTensor right) => !left.Equals(right);

    /// <summary>Sets the name (at most 63 UTF-8 bytes) and returns this tensor.</summary>
    /// <exception cref="ArgumentException">The name is longer than ggml keeps.</exception>
    public GgmlTensor SetName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Encoding.UTF8.GetByteCount(name) >= GgmlTensorLayout.MaxName)
        {
            throw new ArgumentException($"Tensor name '{name}' is longer than ggml's {GgmlTensorLayout.MaxName - 1} bytes.", nameof(name));
        }

        NativeMethods.ggml_set_name(Pointer, name);
        return this;
    }

    /// <summary>Marks the tensor as a trainable parameter (its context's tensors must be allocated in a backend buffer).</summary>
    /// <exception cref="InvalidOperationException">The tensor is the result of an op; only leaf tensors can be parameters.</exception>
    public GgmlTensor SetParameter()
    {
        var p = Pointer;
        if (GgmlTensorLayout.ReadOp(p) != 0)
        {
            throw new InvalidOperationException($"Tensor '{Name}' is the result of an op; only tensors created with NewTensor can be parameters.");
        }

        if (Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
        {
            throw new InvalidOperationException($"Tensor '{Name}' has type {Type}; parameters must be floating point.");
        }

        NativeMethods.ggml_set_param(p);
        return this;
    }

    /// <summary>Marks the tensor as a graph input (its data is set before compute and must not be overwritten by the allocator).</summary>
    public GgmlTensor SetInput()
    {
        NativeMethods.ggml_set_input(Pointer);
        return this;
    }

    /// <summary>Marks the tensor as a graph output (its data stays readable after compute).</summary>
    public GgmlTensor SetOutput()
    {
        NativeMethods.ggml_set_output(Pointer);
        return this;
    }

    /// <summary>Marks the tensor as the loss to minimise.</summary>
    /// <exception cref="GgmlShapeException">The tensor is not an F32 scalar.</exception>
    public GgmlTensor SetLoss()
    {
        var p = Pointer;
        if (Type != GgmlType.F32 || ElementCount != 1)
        {
            throw new GgmlShapeException($"A loss must be an F32 scalar; '{Name}' is {Type} {GgmlChecks.Describe(p)}.");
        }

        NativeMethods.ggml_set_loss(p);
        return this;
    }

    /// <summary>Copies <paramref name="values"/> into the tensor's backend memory.</summary>
    /// <exception cref="InvalidOperationException">The tensor has no memory yet.</exception>
    /// <exception cref="ArgumentException">The span's size is not the tensor's size.</exception>
    public unsafe void SetData<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var p = CheckDataAccess(values.Length * sizeof(T), typeof(T));
        fixed (T* data = values)
        {
            NativeMethods.ggml_backend_tensor_set(p, data, 0, (nuint)(values.Length * sizeof(T)));
        }
    }

    /// <summary>Copies <paramref name="values"/> into the tensor's backend memory.</summary>
    public void SetData<T>(T[] values)
        where T : unmanaged => SetData<T>(values.AsSpan());

    /// <summary>Copies the tensor's data into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor has no memory yet.</exception>
    /// <exception cref="ArgumentException">The span's size is not the tensor's size.</exception>
    public unsafe void GetData<T>(Span<T> destination)
        where T : unmanaged
    {
        var p = CheckDataAccess(destination.Length * sizeof(T), typeof(T));
        fixed (T* data = destination)
        {
            NativeMethods.ggml_backend_tensor_get(p, data, 0, (nuint)(destination.Length * sizeof(T)));
        }
    }

    /// <summary>Reads the whole tensor as an array of <typeparamref name="T"/>.</summary>
    public unsafe T[] ToArray<T>()
        where T : unmanaged
    {
        var bytes = ByteCount;
        if (bytes % sizeof(T) != 0)
        {
            throw new ArgumentException($"Tensor '{Name}' holds {bytes} bytes, not a whole number of {typeof(T).Name}.");
        }

        var result = new T[bytes / sizeof(T)];
        GetData<T>(result);
        return result;
    }

    /// <inheritdoc />
    public bool Equals(GgmlTensor other) => _pointer == other._pointer;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is GgmlTensor other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _pointer.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => IsValid ? $"{Name} {Type} {GgmlChecks.Describe(_pointer)}" : "(default GgmlTensor)";

    private IntPtr CheckDataAccess(long byteCount, Type elementType)
    {
        var p = Pointer;
        if (!IsAllocated)
        {
            throw new InvalidOperationException(
                $"Tensor '{Name}' has no memory: allocate its context with GgmlContext.AllocateTensors, or compute its graph with a scheduler or optimizer first.");
        }

        if (!GgmlChecks.IsContiguous(p))
        {
            throw new InvalidOperationException($"Tensor '{Name}' is not contiguous; copy it with GgmlContext.Cont before reading or writing its data.");
        }

        var nbytes = (long)NativeMethods.ggml_nbytes(p);
        if (byteCount != nbytes)
        {
            throw new ArgumentException(
                $"Tensor '{Name}' ({Type} {GgmlChecks.Describe(p)}) holds {nbytes} bytes; the {elementType.Name} span holds {byteCount}.");
        }

        return p;
    }
}
