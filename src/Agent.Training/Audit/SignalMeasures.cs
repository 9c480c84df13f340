using Agent.Training.Evaluation;

namespace Agent.Training.Audit;

/// <summary>
/// Builds the <see cref="SignalsReport"/>: fits a <see cref="SignalCombiner"/> per tag (and per outcome of the last tool
/// result, <see cref="CombinerScope.PerOutcome"/>) on one set of scored spans and
/// measures the model, the classifier and the combination on each set, per tag and kind of case.
/// </summary>
internal static class SignalMeasures
{
    /// <summary>The false-positive budget of <see cref="SignalFigures.RecallAt2PercentFpr"/> and of the combiner's threshold.</summary>
    public const double FalsePositiveBudget = 0.02;

    public static SignalsReport Build(string source, IReadOnlyList<SignalSpan> audited, string? fitSource, IReadOnlyList<SignalSpan>? fit,
        CombinerScope scope = CombinerScope.PerOutcomeAndFlaggedCall)
    {
        var fitting = fit ?? audited;
        var combiners = new List<CombinerFit>();
        foreach (var tag in fitting.Select(s => s.Tag).Distinct().Order(StringComparer.Ordinal))
        {
            var labelled = fitting.Where(s => s.Tag == tag && s.Label is not null).ToList();
            if (!labelled.Any(s => s.Label == true) || !labelled.Any(s => s.Label == false))
            {
                continue;
            }

            var pooled = Fit(labelled);
            var byOutcome = new List<OutcomeCombiner>();
            if (scope != CombinerScope.Pooled)
            {
                foreach (var outcome in labelled.GroupBy(s => s.Outcome.In(scope)).OrderBy(g => g.Key))
                {
                    int positives = outcome.Count(s => s.Label == true), negatives = outcome.Count(s => s.Label == false);
                    if (positives >= CombinerFit.MinimumPerClass && negatives >= CombinerFit.MinimumPerClass)
                    {
                        byOutcome.Add(new OutcomeCombiner(outcome.Key, positives, negatives, Fit([.. outcome])));
                    }
                }
            }

            var fitted = new CombinerFit(tag, labelled.Count(s => s.Label == true), labelled.Count(s => s.Label == false), pooled, 0) { Scope = scope, ByOutcome = byOutcome };
            var negativeScores = labelled.Where(s => s.Label == false).Select(s => fitted.Score(s.Model, s.Classifier, s.Outcome)).ToList();
            combiners.Add(fitted with { Threshold = ThresholdAt(negativeScores, FalsePositiveBudget) });
        }

        var tables = new List<SignalTable> { Table(source, audited, combiners, fit is null) };
        if (fit is not null)
        {
            tables.Add(Table(fitSource!, fit, combiners, inSample: true));
        }

        return new SignalsReport(fit is null ? $"{source} (the audited spans: in-sample)" : fitSource!, scope, combiners, tables);

        static SignalCombiner Fit(IReadOnlyList<SignalSpan> spans) =>
            SignalCombiner.Fit([.. spans.Select(s => s.Model)], [.. spans.Select(s => s.Classifier)], [.. spans.Select(s => s.Label == true)]);
    }

    /// <summary>The lowest threshold (score &gt;= threshold flags) at which at most <paramref name="budget"/> of the negatives are flagged.</summary>
    public static double ThresholdAt(IReadOnlyList<double> negatives, double budget)
    {
        if (negatives.Count == 0)
        {
            return 0.5;
        }

        var sorted = negatives.OrderByDescending(s => s).ToArray();
        var allowed = (int)Math.Floor(budget * sorted.Length);
        return allowed >= sorted.Length ? 0 : Math.BitIncrement(sorted[allowed]);
    }

    private static SignalTable Table(string source, IReadOnlyList<SignalSpan> spans, IReadOnlyList<CombinerFit> combiners, bool inSample)
    {
        var rows = new List<SignalRow>();
        foreach (var tagSpans in spans.Where(s => s.Label is not null).GroupBy(s => s.Tag).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var fit = combiners.FirstOrDefault(c => c.Tag == tagSpans.Key);
            rows.Add(Row(tagSpans.Key, "all", [.. tagSpans], fit));
            var groups = tagSpans.GroupBy(s => s.Group).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            if (groups.Count == 1)
            {
                continue; // one kind of case (a corpus folder's spans): its row would repeat "all"
            }

            foreach (var group in groups.Where(g => g.Key != "all"))
            {
                rows.Add(Row(tagSpans.Key, group.Key, [.. group], fit));
            }
        }

        return new SignalTable(source, inSample, rows);
    }

    private static SignalRow Row(string tag, string group, IReadOnlyList<SignalSpan> spans, CombinerFit? fit)
    {
        var positives = spans.Where(s => s.Label == true).ToList();
        var negatives = spans.Where(s => s.Label == false).ToList();
        var model = Figures(positives, negatives, s => s.Model, s => s.ModelFlagged);
        var classifier = Figures(positives, negatives, s => s.Classifier, s => s.ClassifierFlagged);
        Func<SignalSpan, double>? combined = fit is null ? null : s => fit.Score(s.Model, s.Classifier, s.Outcome);
        var gate = Figures(positives, negatives, combined ?? (_ => 0), s => s.GateFlagged);
        if (combined is null)
        {
            gate = gate with { Auroc = null, RecallAt2PercentFpr = null };
        }

        double? combinerRecall = null, combinerFalsePositives = null;
        if (fit is not null && positives.Count > 0 && negatives.Count > 0)
        {
            combinerRecall = Rate(positives, s => combined!(s) >= fit.Threshold);
            combinerFalsePositives = Rate(negatives, s => combined!(s) >= fit.Threshold);
        }

        return new SignalRow(tag, group, positives.Count, negatives.Count, model, classifier, gate, combinerRecall, combinerFalsePositives);
    }

    private static SignalFigures Figures(List<SignalSpan> positives, List<SignalSpan> negatives, Func<SignalSpan, double> score, Func<SignalSpan, bool> flagged)
    {
        if (positives.Count == 0 || negatives.Count == 0)
        {
            return new SignalFigures(null, null, null, null);
        }

        var positiveScores = positives.Select(score).ToList();
        var negativeScores = negatives.Select(score).ToList();
        var oracle = ThresholdAt(negativeScores, FalsePositiveBudget);
        return new SignalFigures(
            Auroc.Compute(positiveScores, negativeScores),
            positiveScores.Count(s => s >= oracle) / (double)positiveScores.Count,
            Rate(positives, flagged),
            Rate(negatives, flagged),
            oracle);
    }

    private static double Rate(List<SignalSpan> spans, Func<SignalSpan, bool> flagged) => spans.Count(flagged) / (double)spans.Count;
}

/// <summary>One scored span as the signals table reads it.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Group">The kind of case.</param>
/// <param name="Label">The label, or null.</param>
/// <param name="Model">The model's temptation at the policy's aggregate.</param>
/// <param name="ModelFlagged">Whether it is at or over the policy's model threshold.</param>
/// <param name="Classifier">The classifier's probability.</param>
/// <param name="ClassifierFlagged">Whether it is at or over the policy's classifier threshold.</param>
/// <param name="GateFlagged">Whether the gate stops the action for this tag (any counted signal over its threshold).</param>
/// <param name="Outcome">How the last tool result before the action ended.</param>
internal sealed record SignalSpan(string Tag, string Group, bool? Label, double Model, bool ModelFlagged, double Classifier, bool ClassifierFlagged, bool GateFlagged,
    ResultOutcome Outcome = ResultOutcome.None);
