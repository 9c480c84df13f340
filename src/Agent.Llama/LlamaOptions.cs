using System.ComponentModel.DataAnnotations;

namespace Agent.Llama;

/// <summary>The <c>Llama</c> section of appsettings.json: which libraries load, which model, and the context shape.</summary>
public sealed class LlamaOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Llama";

    /// <summary>
    /// <c>cpu</c> (default: the best CPU variant under <c>native/cpu/</c>) or <c>cuda</c> (<c>native/cuda/</c>, copied by a
    /// build with <c>-p:LlamaBackends="cpu;cuda"</c> from LLamaSharp.Backend.Cuda12.Linux), next to the executable.
    /// </summary>
    [Required]
    [AllowedValues("cpu", "cuda", ErrorMessage = "Llama:Backend must be 'cpu' or 'cuda'.")]
    public string Backend { get; set; } = "cpu";

    /// <summary>
    /// A folder holding a user's own llama.cpp build of commit c0c7e147 (libllama*.so, libggml*.so, flat or in CPU variant
    /// folders); overrides <see cref="Backend"/>'s folder. Libraries of another commit are refused at load.
    /// </summary>
    public string? NativeLibraryPath { get; set; }

    /// <summary>The GGUF model; a relative path is relative to the folder of appsettings.json.</summary>
    [Required(ErrorMessage = "Llama:ModelPath must name a GGUF model file.")]
    public string ModelPath { get; set; } = "models/agent-default.gguf";

    /// <summary>Tokens of context per sequence.</summary>
    [Range(16, 1 << 20, ErrorMessage = "Llama:ContextSize must be between 16 and 1048576.")]
    public int ContextSize { get; set; } = 2048;

    /// <summary>Most tokens per decode call.</summary>
    [Range(1, 1 << 16, ErrorMessage = "Llama:BatchSize must be between 1 and 65536.")]
    public int BatchSize { get; set; } = 512;

    /// <summary>CPU threads (0 = all cores).</summary>
    [Range(0, 1024, ErrorMessage = "Llama:Threads must be between 0 and 1024.")]
    public int Threads { get; set; }

    /// <summary>Layers offloaded to a GPU (-1 = all).</summary>
    [Range(-1, 100000, ErrorMessage = "Llama:GpuLayers must be -1 (all) or a layer count.")]
    public int GpuLayers { get; set; }

    /// <summary>The backends this build knows.</summary>
    public static IReadOnlyList<string> KnownBackends { get; } = ["cpu", "cuda"];

    /// <summary>Threads to use: <see cref="Threads"/>, or the processor count when 0.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}
