using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// The one base of every handle of our own binding (ggml and gguf objects, the decoder's llama_batch; llama.cpp's model,
/// context and sampler handles are LLamaSharp's). A zero pointer is invalid; each sealed subclass frees its object exactly
/// once in <see cref="SafeHandle.ReleaseHandle"/>.
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

    private List<SafeLlamaHandle>? _dependencies;

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>
    /// Takes a reference on a handle this one uses (a scheduler's backends, an optimizer's scheduler), so it cannot be freed
    /// first; subclasses release it with <see cref="ReleaseDependencies"/> after freeing their own object.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The dependency was already disposed.</exception>
    internal void KeepAlive(SafeLlamaHandle dependency)
    {
        var added = false;
        dependency.DangerousAddRef(ref added);
        if (!added)
        {
            throw new ObjectDisposedException(dependency.GetType().Name, "A handle this one depends on was disposed first.");
        }

        (_dependencies ??= []).Add(dependency);
    }

    /// <summary>Releases the references taken by <see cref="KeepAlive"/>; call from ReleaseHandle after the native free.</summary>
    protected void ReleaseDependencies()
    {
        if (_dependencies is { } dependencies)
        {
            foreach (var dependency in dependencies)
            {
                dependency.DangerousRelease();
            }

            _dependencies = null;
        }
    }

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
