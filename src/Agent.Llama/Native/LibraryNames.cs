namespace Agent.Llama.Native;

/// <summary>
/// The logical library names used by every <c>[LibraryImport]</c>. <see cref="NativeLibraryLoader"/> maps each to a file
/// in the selected native directory; nothing else decides which file loads.
/// </summary>
internal static class LibraryNames
{
    /// <summary>libllama (llama.cpp's model, context, vocab, sampler and training API).</summary>
    public const string Llama = "llama";

    /// <summary>libggml (backend registry and dynamic backend loading).</summary>
    public const string Ggml = "ggml";

    /// <summary>libggml-base (tensors, graphs, gguf, backends' common code, ggml-opt).</summary>
    public const string GgmlBase = "ggml-base";
}
