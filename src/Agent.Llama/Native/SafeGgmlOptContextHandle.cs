namespace Agent.Llama.Native;

/// <summary>A <c>ggml_opt_context_t</c> (an optimization context); freed with <c>ggml_opt_free</c>.</summary>
public sealed class SafeGgmlOptContextHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlOptContextHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.ggml_opt_free(handle);
        ReleaseDependencies();

        return true;
    }
}
