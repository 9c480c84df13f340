namespace Agent.Llama.Native;

/// <summary>A <c>ggml_backend_sched_t</c> (allocates and runs graphs across backends); freed with <c>ggml_backend_sched_free</c>.</summary>
public sealed class SafeGgmlBackendSchedHandle : SafeLlamaHandle
{
    private List<SafeLlamaHandle>? _dependencies;

    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlBackendSchedHandle()
    {
    }

    /// <summary>Takes a reference on a handle this one uses (its backends), released after this one is freed.</summary>
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
        NativeMethods.ggml_backend_sched_free(handle);
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
