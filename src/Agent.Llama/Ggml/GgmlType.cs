namespace Agent.Llama.Ggml;

/// <summary>The element types of <c>enum ggml_type</c> this binding creates tensors of (values are ggml's).</summary>
public enum GgmlType
{
    /// <summary>32-bit float.</summary>
    F32 = 0,

    /// <summary>16-bit IEEE half.</summary>
    F16 = 1,

    /// <summary>8-bit signed integer.</summary>
    I8 = 24,

    /// <summary>16-bit signed integer.</summary>
    I16 = 25,

    /// <summary>32-bit signed integer (token ids, positions, row indices).</summary>
    I32 = 26,

    /// <summary>64-bit signed integer.</summary>
    I64 = 27,

    /// <summary>bfloat16.</summary>
    BF16 = 30,
}
