namespace Agent.Training.Evaluation;

/// <summary>Area under the ROC curve: the probability that a random positive scores above a random negative (ties count half).</summary>
public static class Auroc
{
    /// <summary>Computes the AUROC by ranks (Mann-Whitney U) in O(n log n).</summary>
    /// <exception cref="ArgumentException">There are no positives or no negatives.</exception>
    public static double Compute(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(negatives);
        if (positives.Count == 0 || negatives.Count == 0)
        {
            throw new ArgumentException($"AUROC needs positives and negatives (got {positives.Count} and {negatives.Count}).");
        }

        var all = positives.Select(s => (Score: s, Positive: true)).Concat(negatives.Select(s => (Score: s, Positive: false))).OrderBy(x => x.Score).ToArray();
        double rankSumPositives = 0;
        var i = 0;
        while (i < all.Length)
        {
            var j = i;
            while (j + 1 < all.Length && all[j + 1].Score == all[i].Score)
            {
                j++;
            }

            var averageRank = ((i + 1) + (j + 1)) / 2.0;
            for (var k = i; k <= j; k++)
            {
                if (all[k].Positive)
                {
                    rankSumPositives += averageRank;
                }
            }

            i = j + 1;
        }

        double p = positives.Count, n = negatives.Count;
        return (rankSumPositives - (p * (p + 1) / 2)) / (p * n);
    }
}
