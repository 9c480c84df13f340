namespace Agent.Llama.Native;

/// <summary>A <c>ggml_opt_result_t</c> (accumulated loss and accuracy); freed with <c>ggml_opt_result_free</c>.</summary>
public sealed class SafeGgmlOptResultHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlOptResultHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.ggml_opt_result_free(handle);
        return true;
    }
}
