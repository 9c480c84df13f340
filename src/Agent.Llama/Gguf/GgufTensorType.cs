namespace Agent.Llama.Gguf;

/// <summary>The tensor types of a GGUF that this binding reads as F32 (and writes), with ggml's <c>enum ggml_type</c> values.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "ggml's and llama-quantize's own type names.")]
public enum GgufTensorType
{
    /// <summary>32-bit float.</summary>
    F32 = 0,

    /// <summary>16-bit IEEE half.</summary>
    F16 = 1,

    /// <summary>8-bit blocks of 32 with one F16 scale.</summary>
    Q8_0 = 8,

    /// <summary>4-bit k-quant: super-blocks of 256 with 6-bit scales and minimums.</summary>
    Q4_K = 12,

    /// <summary>bfloat16.</summary>
    BF16 = 30,
}
