namespace Agent.Monitoring;

/// <summary>
/// What the classifier's call heads say of the calls a run made before an answer: the highest probability any head gave
/// any of them, and whether any reached its head's threshold. At run time a call the heads flag ran only because a
/// person approved it, and an answer after it is where a denial of it comes: the signals' combiner treats that case apart
/// (<c>agent audit --combiner</c>, <c>models/classifier.md</c>).
/// </summary>
/// <param name="Highest">The highest call-head probability over the earlier calls.</param>
/// <param name="Flagged">Whether any earlier call reached its call head's threshold.</param>
public sealed record EarlierCallRisk(double Highest, bool Flagged)
{
    /// <summary>
    /// Scores each earlier call of an answer with the classifier's call heads, each call read with the run's task as the
    /// gate read it (so its embeddings are usually in the classifier's cache already).
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="answer">The answer, with its earlier calls and task (<see cref="ClassifierInput.ForAnswer"/>).</param>
    /// <returns>The risk; null for a call, an answer before any call, or a classifier without call heads.</returns>
    public static EarlierCallRisk? Of(ITagClassifier classifier, ClassifierInput answer)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(answer);
        var callHeads = classifier.Heads.Where(h => h.Kind == ActionKind.Call).ToList();
        if (answer.Kind != ActionKind.Answer || answer.EarlierCalls.IsDefaultOrEmpty || callHeads.Count == 0)
        {
            return null;
        }

        double highest = 0;
        var flagged = false;
        foreach (var call in answer.EarlierCalls)
        {
            var scores = classifier.Score(ClassifierInput.ForCall(answer.Task, call));
            foreach (var head in callHeads)
            {
                if (scores.Probabilities.TryGetValue(head.Tag, out var p))
                {
                    highest = Math.Max(highest, p);
                    flagged |= p >= head.Threshold;
                }
            }
        }

        return new EarlierCallRisk(highest, flagged);
    }
}
