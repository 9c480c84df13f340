using System.Runtime.InteropServices;
using LLama.Native;

namespace Agent.Llama.Native;

/// <summary>
/// A <c>llama_batch</c> made by LLamaSharp's <see cref="NativeApi.llama_batch_init"/> (its <see cref="LLamaNativeBatch"/>).
/// The struct itself lives in native memory owned by this handle, so its arrays are freed with
/// <see cref="NativeApi.llama_batch_free"/> and the struct with it.
/// </summary>
public sealed unsafe class SafeLlamaBatchHandle : SafeLlamaHandle
{
    /// <summary>Used by the interop marshaller.</summary>
    public SafeLlamaBatchHandle()
    {
    }

    internal static SafeLlamaBatchHandle Create(int capacity, int maxSequencesPerToken)
    {
        var batch = NativeApi.llama_batch_init(capacity, 0, maxSequencesPerToken);
        if (batch.tokens == null)
        {
            throw new InsufficientMemoryException($"llama_batch_init could not allocate a batch of {capacity} tokens.");
        }

        var memory = (LLamaNativeBatch*)NativeMemory.Alloc((nuint)sizeof(LLamaNativeBatch));
        *memory = batch;
        var result = new SafeLlamaBatchHandle();
        result.SetHandle((IntPtr)memory);
        return result;
    }

    internal LLamaNativeBatch* Batch => (LLamaNativeBatch*)Pointer;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        var batch = (LLamaNativeBatch*)handle;
        NativeApi.llama_batch_free(*batch);
        NativeMemory.Free(batch);
        return true;
    }
}
