namespace Agent.Llama.Native;

/// <summary>A <c>llama_adapter_lora *</c>; keeps its model alive, as the adapter's tensors belong to the model's backends.</summary>
public sealed class SafeLlamaAdapterLoraHandle : SafeLlamaHandle
{
    /// <summary>For the marshaller.</summary>
    public SafeLlamaAdapterLoraHandle()
    {
    }

    internal SafeLlamaAdapterLoraHandle(IntPtr handle)
        : base(handle, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_adapter_lora_free(handle);
        ReleaseDependencies();
        return true;
    }
}
