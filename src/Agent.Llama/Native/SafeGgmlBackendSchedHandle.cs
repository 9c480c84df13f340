namespace Agent.Llama.Native;

/// <summary>A <c>ggml_backend_sched_t</c> (allocates and runs graphs across backends); freed with <c>ggml_backend_sched_free</c>.</summary>
public sealed class SafeGgmlBackendSchedHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeGgmlBackendSchedHandle()
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.ggml_backend_sched_free(handle);
        ReleaseDependencies();

        return true;
    }
}
