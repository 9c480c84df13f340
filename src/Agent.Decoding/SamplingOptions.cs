namespace Agent.Decoding;

/// <summary>How the next token is chosen after bans and biases: greedy when <see cref="Temperature"/> is 0, else a seeded draw.</summary>
public sealed record SamplingOptions
{
    /// <summary>Always the most likely allowed token.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>0 = greedy.</summary>
    public float Temperature { get; init; }

    /// <summary>Top-k (0 = off).</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Top-p (1 = off).</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Min-p (0 = off).</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Seed of the draw.</summary>
    public uint Seed { get; init; } = 42;

    /// <summary>Whether sampling is greedy.</summary>
    public bool IsGreedy => Temperature <= 0f;
}
