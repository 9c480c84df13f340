namespace Agent.Llama.Native;

/// <summary>What <see cref="NativeLibraryLoader"/> loaded.</summary>
/// <param name="RequestedDirectory">The folder it was asked to load from.</param>
/// <param name="LibraryDirectory">The folder the libraries came from (a CPU variant folder under the requested one, or the same).</param>
/// <param name="Files">Logical name (llama, ggml, ggml-base, and ggml-cpu when it came from elsewhere) to the file.</param>
/// <param name="CpuVariant">The CPU build that loaded (avx512, avx2, avx, noavx), or null for a flat folder.</param>
internal sealed record NativeLoadResult(
    string RequestedDirectory,
    string LibraryDirectory,
    IReadOnlyDictionary<string, string> Files,
    string? CpuVariant);
