namespace Agent.Llama.Native;

/// <summary>A <c>ggml_opt_dataset_t</c> (training data and labels); freed with <c>ggml_opt_dataset_free</c>.</summary>
public sealed class SafeGgmlOptDatasetHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlOptDatasetHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.ggml_opt_dataset_free(handle);
        return true;
    }
}
