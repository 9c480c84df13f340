namespace Agent.Llama;

/// <summary>A sequence id: which of a context's parallel sequences a token belongs to.</summary>
/// <param name="Value">The 0-based id, below the context's MaxSequences.</param>
public readonly record struct LlamaSeqId(int Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
