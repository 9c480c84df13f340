namespace Agent.Training.Tuning;

/// <summary>
/// What a tuning run trains. LoRA (the default): rank-<see cref="Rank"/> adapters on every attention and feed-forward
/// projection, scaled by <see cref="Alpha"/> / <see cref="Rank"/> as llama.cpp applies them, plus the new tag rows of the
/// embedding and output; the base weights stay frozen. Full: every weight and the new tag rows.
/// </summary>
public sealed record TuneMode
{
    private TuneMode(bool full, int rank, float alpha)
    {
        Full = full;
        Rank = rank;
        Alpha = alpha;
    }

    /// <summary>LoRA of rank 8, alpha 16.</summary>
    public static TuneMode Default { get; } = Lora(8);

    /// <summary>Every weight trains.</summary>
    public static TuneMode FullWeights { get; } = new(true, 0, 0f);

    /// <summary>Whether every weight trains.</summary>
    public bool Full { get; }

    /// <summary>LoRA rank (0 for full).</summary>
    public int Rank { get; }

    /// <summary>LoRA alpha: the update is scaled by Alpha / Rank (llama.cpp's <c>adapter.lora.alpha</c>).</summary>
    public float Alpha { get; }

    /// <summary>The scale of B·A in the forward pass and the merge.</summary>
    public float Scale => Full ? 0f : Alpha / Rank;

    /// <summary>LoRA adapters of <paramref name="rank"/>; alpha defaults to twice the rank.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rank is not in 1..1024 or alpha is not positive.</exception>
    public static TuneMode Lora(int rank, float? alpha = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, 1024);
        var a = alpha ?? 2f * rank;
        if (!(a > 0f) || float.IsInfinity(a))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LoRA alpha must be a positive number.");
        }

        return new TuneMode(false, rank, a);
    }

    /// <inheritdoc />
    public override string ToString() => Full ? "full" : FormattableString.Invariant($"lora r={Rank} alpha={Alpha}");
}
