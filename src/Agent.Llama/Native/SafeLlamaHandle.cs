using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// The one base of every handle to a native llama.cpp / ggml object. A zero pointer is invalid; each sealed subclass
/// frees its object exactly once in <see cref="SafeHandle.ReleaseHandle"/>.
/// </summary>
public abstract class SafeLlamaHandle : SafeHandle
{
    /// <summary>Creates an empty handle that owns what it will be given.</summary>
    protected SafeLlamaHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>Creates a handle over an existing pointer.</summary>
    /// <param name="handle">The native pointer.</param>
    /// <param name="ownsHandle">Whether this handle frees it.</param>
    protected SafeLlamaHandle(IntPtr handle, bool ownsHandle)
        : base(IntPtr.Zero, ownsHandle) => SetHandle(handle);

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The raw pointer, for the native layer only; throws when the handle is closed.</summary>
    internal IntPtr Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed || IsInvalid, this);
            return handle;
        }
    }
}
