namespace Agent.Decoding;

/// <summary>A tag's temptation over a span of tokens.</summary>
/// <param name="Max">The highest per-token probability.</param>
/// <param name="Mean">The mean per-token probability.</param>
/// <param name="Any">1 - prod(1 - p): the chance the tag would have opened somewhere in the span.</param>
public readonly record struct TemptationAggregate(double Max, double Mean, double Any)
{
    /// <summary>The aggregate of no tokens.</summary>
    public static TemptationAggregate Empty { get; } = new(0, 0, 0);

    /// <summary>Aggregates probabilities.</summary>
    public static TemptationAggregate Of(IEnumerable<double> probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        double max = 0, sum = 0, logNone = 0;
        var n = 0;
        foreach (var p in probabilities)
        {
            var clamped = Math.Clamp(p, 0, 1);
            max = Math.Max(max, clamped);
            sum += clamped;
            logNone += double.LogP1(-Math.Min(clamped, 1 - 1e-15));
            n++;
        }

        return n == 0 ? Empty : new TemptationAggregate(max, sum / n, -double.ExpM1(logNone));
    }

    /// <summary>The value a policy reads: <c>max</c>, <c>mean</c> or <c>any</c>.</summary>
    /// <exception cref="ArgumentException">Another name.</exception>
    public double Get(string aggregate) => aggregate switch
    {
        "max" => Max,
        "mean" => Mean,
        "any" => Any,
        _ => throw new ArgumentException($"Unknown aggregate '{aggregate}': use max, mean or any.", nameof(aggregate)),
    };
}
