namespace Agent.Llama.Native;

/// <summary>A <c>llama_sampler</c> (usually a chain); freed with <c>llama_sampler_free</c>.</summary>
public sealed class SafeLlamaSamplerHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaSamplerHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_sampler_free(handle);
        return true;
    }
}
