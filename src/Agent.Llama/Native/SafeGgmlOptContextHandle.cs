namespace Agent.Llama.Native;

/// <summary>A <c>ggml_opt_context_t</c> (an optimization context); freed with <c>ggml_opt_free</c>.</summary>
public sealed class SafeGgmlOptContextHandle : SafeLlamaHandle
{
    private List<SafeLlamaHandle>? _dependencies;

    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlOptContextHandle()
    {
    }

    /// <summary>Takes a reference on a handle this one uses (its scheduler), released after this one is freed.</summary>
    internal void KeepAlive(SafeLlamaHandle dependency)
    {
        var added = false;
        dependency.DangerousAddRef(ref added);
        if (!added)
        {
            throw new ObjectDisposedException(dependency.GetType().Name, "A handle this one depends on was disposed first.");
        }

        (_dependencies ??= []).Add(dependency);
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.ggml_opt_free(handle);
        if (_dependencies is { } dependencies)
        {
            foreach (var dependency in dependencies)
            {
                dependency.DangerousRelease();
            }

            _dependencies = null;
        }

        return true;
    }
}
