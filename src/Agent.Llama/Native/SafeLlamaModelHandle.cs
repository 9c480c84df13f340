namespace Agent.Llama.Native;

/// <summary>A loaded <c>llama_model</c>; freed with <c>llama_model_free</c> once no context holds it.</summary>
public sealed class SafeLlamaModelHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaModelHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_model_free(handle);
        return true;
    }
}
