using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// A <c>llama_batch</c> made by <c>llama_batch_init</c>. The struct itself lives in native memory owned by this handle,
/// so its arrays are freed with <c>llama_batch_free</c> and the struct with it.
/// </summary>
public sealed unsafe class SafeLlamaBatchHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaBatchHandle()
    {
    }

    internal static SafeLlamaBatchHandle Create(int capacity, int maxSequencesPerToken)
    {
        var batch = NativeMethods.llama_batch_init(capacity, 0, maxSequencesPerToken);
        if (batch.token == null)
        {
            throw new InsufficientMemoryException($"llama_batch_init could not allocate a batch of {capacity} tokens.");
        }

        var memory = (LlamaBatchNative*)NativeMemory.Alloc((nuint)sizeof(LlamaBatchNative));
        *memory = batch;
        var result = new SafeLlamaBatchHandle();
        result.SetHandle((IntPtr)memory);
        return result;
    }

    internal LlamaBatchNative* Batch => (LlamaBatchNative*)Pointer;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        var batch = (LlamaBatchNative*)handle;
        NativeMethods.llama_batch_free(*batch);
        NativeMemory.Free(batch);
        return true;
    }
}
