namespace Agent.Llama.Native;

/// <summary>
/// A <c>llama_context</c>. It holds a reference on its model handle (<c>DangerousAddRef</c> when created,
/// <c>DangerousRelease</c> after <c>llama_free</c>), so a context can never outlive its model.
/// </summary>
public sealed class SafeLlamaContextHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaContextHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_free(handle);
        ReleaseDependencies();
        return true;
    }
}
