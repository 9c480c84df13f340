using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>Backend memory holding the data of a context's tensors (from <see cref="GgmlContext.AllocateTensors"/>).</summary>
public sealed class GgmlBackendBuffer : IDisposable
{
    private readonly SafeGgmlBackendBufferHandle _handle;

    internal GgmlBackendBuffer(SafeGgmlBackendBufferHandle handle) => _handle = handle;

    /// <summary>Size in bytes.</summary>
    public long Size => (long)NativeMethods.ggml_backend_buffer_get_size(_handle);

    /// <summary>Frees the memory; the context's tensors then have no data and must not be used in a graph again.</summary>
    public void Dispose() => _handle.Dispose();
}
