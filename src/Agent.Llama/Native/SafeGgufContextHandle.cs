namespace Agent.Llama.Native;

/// <summary>A <c>gguf_context</c>; freed with <c>gguf_free</c>.</summary>
public sealed class SafeGgufContextHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgufContextHandle()
    {
    }

    internal SafeGgufContextHandle(IntPtr handle)
        : base(handle, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.gguf_free(handle);
        return true;
    }
}
