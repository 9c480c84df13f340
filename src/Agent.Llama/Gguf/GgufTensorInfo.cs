namespace Agent.Llama.Gguf;

/// <summary>A tensor listed in a GGUF file.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Type">ggml's type name, e.g. <c>f32</c>.</param>
/// <param name="Shape">Dimensions in ggml order (innermost first).</param>
public sealed record GgufTensorInfo(string Name, string Type, IReadOnlyList<long> Shape);
