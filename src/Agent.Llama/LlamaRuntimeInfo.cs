namespace Agent.Llama;

/// <summary>What <see cref="LlamaRuntime"/> loaded: library files, llama.cpp's system info, backends and devices.</summary>
/// <param name="Backend">The selected backend (<c>cpu</c>, <c>cuda</c>, or <c>custom</c> for Llama:NativeLibraryPath).</param>
/// <param name="Directory">The folder the libraries came from.</param>
/// <param name="Libraries">Logical name (llama, ggml, ggml-base) to the file that was loaded.</param>
/// <param name="SystemInfo">llama_print_system_info().</param>
/// <param name="Backends">The ggml backend registries that loaded.</param>
/// <param name="Devices">The devices those backends offer.</param>
/// <param name="CpuVariant">The CPU build that loaded (avx512, avx2, avx, noavx: the best this CPU supports), or null for a flat folder such as a user's own build.</param>
/// <param name="LlamaCppCommit">The llama.cpp commit the libraries were checked against.</param>
public sealed record LlamaRuntimeInfo(
    string Backend,
    string Directory,
    IReadOnlyDictionary<string, string> Libraries,
    string SystemInfo,
    IReadOnlyList<string> Backends,
    IReadOnlyList<LlamaDevice> Devices,
    string? CpuVariant,
    string LlamaCppCommit);
