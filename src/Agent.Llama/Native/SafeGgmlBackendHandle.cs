namespace Agent.Llama.Native;

/// <summary>A <c>ggml_backend_t</c> (a backend instance: CPU, CUDA…); freed with <c>ggml_backend_free</c>.</summary>
public sealed class SafeGgmlBackendHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlBackendHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.ggml_backend_free(handle);
        return true;
    }
}
