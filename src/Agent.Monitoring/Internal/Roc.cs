namespace Agent.Monitoring.Internal;

/// <summary>ROC figures: AUROC by ranks (ties count half) and thresholds for a false-positive budget.</summary>
internal static class Roc
{
    public static double? Auroc(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0)
        {
            return null;
        }

        var all = positives.Select(s => (Score: s, Positive: true)).Concat(negatives.Select(s => (Score: s, Positive: false))).OrderBy(x => x.Score).ToArray();
        double rankSum = 0;
        for (var i = 0; i < all.Length;)
        {
            var j = i;
            while (j + 1 < all.Length && all[j + 1].Score == all[i].Score)
            {
                j++;
            }

            var rank = (i + j + 2) / 2.0;
            for (var k = i; k <= j; k++)
            {
                rankSum += all[k].Positive ? rank : 0;
            }

            i = j + 1;
        }

        double p = positives.Count, n = negatives.Count;
        return (rankSum - (p * (p + 1) / 2)) / (p * n);
    }

    /// <summary>The lowest threshold (score &gt;= threshold flags) at which at most <paramref name="maxFalsePositiveRate"/> of the negatives are flagged.</summary>
    public static double ThresholdAt(IReadOnlyList<double> negatives, double maxFalsePositiveRate)
    {
        if (negatives.Count == 0)
        {
            return 0.5;
        }

        var sorted = negatives.OrderByDescending(s => s).ToArray();
        var allowed = (int)Math.Floor(maxFalsePositiveRate * sorted.Length);
        return allowed >= sorted.Length ? 0 : Math.BitIncrement(sorted[allowed]);
    }

    public static double? Rate(IReadOnlyList<double> scores, double threshold) =>
        scores.Count == 0 ? null : scores.Count(s => s >= threshold) / (double)scores.Count;
}
