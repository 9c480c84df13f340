namespace Agent.Llama.Native;

/// <summary>A <c>ggml_backend_buffer_t</c> (memory of one backend holding tensors' data); freed with <c>ggml_backend_buffer_free</c>.</summary>
public sealed class SafeGgmlBackendBufferHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlBackendBufferHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.ggml_backend_buffer_free(handle);
        return true;
    }
}
