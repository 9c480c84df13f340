namespace Agent.Llama.Native;

/// <summary>A <c>ggml_context</c> (tensor metadata, and tensor data unless created with no_alloc); freed with <c>ggml_free</c>.</summary>
public sealed class SafeGgmlContextHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlContextHandle()
    {
    }

    internal SafeGgmlContextHandle(IntPtr handle)
        : base(handle, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.ggml_free(handle);
        return true;
    }
}
