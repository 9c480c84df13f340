namespace Agent.Llama;

/// <summary>A token id in a model's vocabulary.</summary>
/// <param name="Value">The id as llama.cpp numbers it.</param>
public readonly record struct LlamaToken(int Value)
{
    /// <summary>llama.cpp's LLAMA_TOKEN_NULL.</summary>
    public static LlamaToken Null { get; } = new(-1);

    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
