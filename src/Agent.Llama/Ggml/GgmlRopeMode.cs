namespace Agent.Llama.Ggml;

/// <summary>How <see cref="GgmlContext.RopeExt"/> pairs the dimensions it rotates.</summary>
public enum GgmlRopeMode
{
    /// <summary>Adjacent pairs (x0,x1), (x2,x3)…: llama.cpp's LLAMA_ROPE_TYPE_NORM, used by the <c>llama</c> architecture.</summary>
    Normal = 0,

    /// <summary>Halves (x0,x[n/2])…: GPT-NeoX style (LLAMA_ROPE_TYPE_NEOX).</summary>
    NeoX = 2,
}
