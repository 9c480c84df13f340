namespace Agent.Llama.Native;

/// <summary>
/// A <c>llama_context</c>. It holds a reference on its model handle (<c>DangerousAddRef</c> when created,
/// <c>DangerousRelease</c> after <c>llama_free</c>), so a context can never outlive its model.
/// </summary>
public sealed class SafeLlamaContextHandle : SafeLlamaHandle
{
    private SafeLlamaModelHandle? _model;

    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaContextHandle()
    {
    }

    internal void KeepAlive(SafeLlamaModelHandle model)
    {
        var added = false;
        model.DangerousAddRef(ref added);
        if (!added)
        {
            throw new ObjectDisposedException(nameof(SafeLlamaModelHandle), "The model was disposed before its context was created.");
        }

        _model = model;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_free(handle);
        _model?.DangerousRelease();
        _model = null;
        return true;
    }
}
