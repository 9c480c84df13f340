namespace Agent.Llama;

/// <summary>A token position within a sequence.</summary>
/// <param name="Value">The 0-based position.</param>
public readonly record struct LlamaPos(int Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
