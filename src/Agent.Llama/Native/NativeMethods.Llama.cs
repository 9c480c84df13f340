using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LLama.Native;

// Every import of this assembly is a source-generated [LibraryImport]; this lets one pass LLamaSharp's LLamaNativeBatch
// (a struct of another assembly) by value to llama_decode.
[assembly: DisableRuntimeMarshalling]

namespace Agent.Llama.Native;

/// <summary>
/// The few llama.h functions (llama.cpp commit c0c7e147) this assembly still imports itself; everything else of inference
/// goes through LLamaSharp 0.30.0's managed types (<see cref="SafeLlamaModelHandle"/>, <see cref="SafeLLamaContextHandle"/>,
/// <see cref="SafeLLamaSamplerChainHandle"/>, <see cref="NativeApi"/>, <see cref="LLamaVocabNative"/>), loaded from the same
/// file (see <see cref="LlamaRuntime"/>). Each one here is a function LLamaSharp 0.30.0 binds only internally, or binds in
/// a shape that does not fit:
/// <list type="bullet">
/// <item><c>llama_log_set</c>: LLamaSharp's <c>NativeLogConfig</c> takes a managed delegate and a string per fragment; ours
/// installs an unmanaged callback that keeps each thread's last problems so a failed call can explain itself
/// (<see cref="NativeLog"/>). Exactly one of the two is installed: ours (LLamaSharp is given no log callback).</item>
/// <item><c>llama_model_get_vocab</c>, <c>llama_vocab_get_text</c>, <c>llama_vocab_get_attr</c>, <c>llama_vocab_is_eog</c>,
/// <c>llama_vocab_is_control</c>, <c>llama_detokenize</c>: LLamaSharp binds them on its <c>LLamaVocabNative</c>, an internal
/// type; its public <c>Vocabulary</c> offers only the counts and the special tokens (used for those).</item>
/// <item><c>llama_get_memory</c>: internal in LLamaSharp; the pointer feeds its public
/// <see cref="NativeApi.llama_memory_seq_rm"/>, whose result its <c>MemorySequenceRemove</c> drops.</item>
/// <item><c>llama_decode</c> of a <see cref="LLamaNativeBatch"/>: LLamaSharp's public decode takes its managed
/// <c>LLamaBatch</c>, which on every call pins each of its rows' sequence arrays (a GCHandle per row of its capacity and a
/// list of them) and serialises every context of the process behind one lock; the decoder's step is allocation-free
/// with a batch that <see cref="NativeApi.llama_batch_init"/> made.</item>
/// </list>
/// </summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_log_set(delegate* unmanaged[Cdecl]<int, byte*, void*, void> callback, void* userData);

    /// <summary>The model's vocab; owned by the model, so valid while the model handle is.</summary>
    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_vocab_get_text(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_vocab_get_attr(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_control(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_detokenize(IntPtr vocab, int* tokens, int tokenCount, byte* text, int textLengthMax, [MarshalAs(UnmanagedType.U1)] bool removeSpecial, [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_decode(SafeLLamaContextHandle context, LLamaNativeBatch batch);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_get_memory(SafeLLamaContextHandle context);
}
