using Agent.Llama.Ggml;

namespace Agent.Training.Tuning;

/// <summary>
/// A llama-family architecture <c>agent tune</c> reads: its <c>general.architecture</c> name (also the prefix of its
/// hyperparameter keys), the RoPE layout llama.cpp uses for it, and whether its attention projections carry biases.
/// </summary>
internal sealed record BaseArchitecture(string Name, GgmlRopeMode Rope, bool HasQkvBias)
{
    /// <summary>The architectures read, by name: llama (and Mistral, which llama.cpp converts as llama), mistral, qwen2.</summary>
    public static IReadOnlyDictionary<string, BaseArchitecture> Supported { get; } = new Dictionary<string, BaseArchitecture>(StringComparer.Ordinal)
    {
        ["llama"] = new("llama", GgmlRopeMode.Normal, HasQkvBias: false),
        ["mistral"] = new("mistral", GgmlRopeMode.Normal, HasQkvBias: false),
        ["qwen2"] = new("qwen2", GgmlRopeMode.NeoX, HasQkvBias: true),
    };
}
