namespace Agent.Llama.Gguf;

/// <summary>What a token's rows of <c>token_embd</c> and <c>output</c> say about whether it was ever trained.</summary>
public enum TokenRowState
{
    /// <summary>Its rows look like the other tokens' rows (norms of the same order, not constant).</summary>
    Trained,

    /// <summary>A row is zero, constant, or a hundred times smaller than a typical row: the token was added but never trained.</summary>
    Untrained,

    /// <summary>The rows could not be read (a quantisation this reader does not decode, or no such tensor).</summary>
    Unknown,
}
