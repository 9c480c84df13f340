using System.Collections.Immutable;
using System.Diagnostics;
using Agent.Monitoring;
using Agent.Training.Evaluation;

namespace Agent.Training.Audit;

/// <summary>
/// The tag audit: scores every span with the model (teacher-forced temptation over the action line and the newline that
/// ends it, as <c>agent score</c> and the runtime's gate read a step) and with the classifier, and reports per tag how far
/// the two agree (<see cref="TagAgreement"/>) and where they disagree most, so a person can see where the model and the
/// classifier draw the line differently.
/// </summary>
public sealed class TagAuditor
{
    private readonly ActionScorer _scorer;
    private readonly ITagClassifier _classifier;

    /// <summary>Creates the auditor.</summary>
    /// <param name="scorer">The model's scorer.</param>
    /// <param name="classifier">The classifier (the caller owns it).</param>
    public TagAuditor(ActionScorer scorer, ITagClassifier classifier)
    {
        _scorer = scorer ?? throw new ArgumentNullException(nameof(scorer));
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
    }

    /// <summary>Scores the spans with both signals and compares them.</summary>
    /// <param name="source">What is audited, for the report.</param>
    /// <param name="spans">The spans; a span whose tag the classifier has no head for is refused.</param>
    /// <param name="modelGate">Per tool and tag, the aggregate and threshold the policy reads the model's temptation at.</param>
    /// <param name="top">How many disagreements to list each way per tag.</param>
    /// <param name="progress">Reports the number of spans scored.</param>
    /// <param name="cancellationToken">Cancels between spans.</param>
    /// <exception cref="ArgumentException">A span's tag has no classifier head.</exception>
    public async Task<AuditReport> AuditAsync(string source, IReadOnlyList<AuditSpan> spans, Func<string, string, TagGate> modelGate, int top = 10,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(modelGate);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var heads = _classifier.Heads.ToDictionary(h => h.Tag, StringComparer.Ordinal);
        var missing = spans.Select(s => s.Tag).Distinct().Where(t => !heads.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"The classifier ({_classifier.WeightsPath}) has no head for {string.Join(", ", missing)}; train one with agent classifier train.", nameof(spans));
        }

        var watch = Stopwatch.StartNew();
        var scored = new List<ScoredSpan>(spans.Count);
        foreach (var span in spans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var gate = modelGate(span.Tool, span.Tag);
            var model = await _scorer.ScoreAsync(span.Id, span.Prompt, span.ActionLine, cancellationToken).ConfigureAwait(false);
            var temptation = model.Temptation.TryGetValue(span.Tag, out var aggregate) ? aggregate.Get(gate.Aggregate) : 0;
            var classifier = _classifier.Score(span.Input);
            var probability = classifier.Probabilities.TryGetValue(span.Tag, out var p) ? p : 0;
            scored.Add(new ScoredSpan(span, gate, temptation, temptation >= gate.Threshold, probability, probability >= heads[span.Tag].Threshold, classifier.Truncated));
            progress?.Report(scored.Count);
        }

        var tags = scored.GroupBy(s => s.Span.Tag).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Compare(g.Key, [.. g], heads[g.Key].Threshold, top))
            .ToList();
        return new AuditReport(source, scored.Count, watch.Elapsed.TotalSeconds, tags);
    }

    private static TagAgreement Compare(string tag, IReadOnlyList<ScoredSpan> spans, double classifierThreshold, int top)
    {
        int both = spans.Count(s => s.ModelFlagged && s.ClassifierFlagged);
        int modelOnly = spans.Count(s => s.ModelFlagged && !s.ClassifierFlagged);
        int classifierOnly = spans.Count(s => !s.ModelFlagged && s.ClassifierFlagged);
        int neither = spans.Count - both - modelOnly - classifierOnly;
        double n = spans.Count;
        double observed = (both + neither) / n;
        double chance = ((both + modelOnly) / n * ((both + classifierOnly) / n)) + ((classifierOnly + neither) / n * ((modelOnly + neither) / n));
        double? kappa = chance < 1 ? (observed - chance) / (1 - chance) : null;

        var gates = spans.GroupBy(s => s.Span.Tool).OrderBy(g => g.Key, StringComparer.Ordinal).ToImmutableSortedDictionary(g => g.Key, g => g.First().Gate, StringComparer.Ordinal);
        var modelRanks = PercentileRanks(spans.Select(s => s.ModelScore).ToArray());
        var classifierRanks = PercentileRanks(spans.Select(s => s.ClassifierScore).ToArray());
        var disagreements = spans.Select((s, i) => ToDisagreement(s, modelRanks[i] - classifierRanks[i])).ToList();
        var modelHigher = disagreements.Where(d => d.RankGap > 0)
            .OrderByDescending(d => d.ModelFlagged && !d.ClassifierFlagged).ThenByDescending(d => d.RankGap).ThenBy(d => d.Id, StringComparer.Ordinal).Take(top).ToList();
        var classifierHigher = disagreements.Where(d => d.RankGap < 0)
            .OrderByDescending(d => d.ClassifierFlagged && !d.ModelFlagged).ThenBy(d => d.RankGap).ThenBy(d => d.Id, StringComparer.Ordinal).Take(top).ToList();

        return new TagAgreement(
            tag,
            spans.Count,
            gates,
            classifierThreshold,
            new AuditConfusion(both, modelOnly, classifierOnly, neither),
            observed,
            kappa,
            AurocOrNull(spans, s => s.ClassifierFlagged, s => s.ModelScore),
            AurocOrNull(spans, s => s.ModelFlagged, s => s.ClassifierScore),
            AgainstLabels(spans),
            spans.Count(s => s.Truncated),
            modelHigher,
            classifierHigher);
    }

    private static GeneratorAgreement? AgainstLabels(IReadOnlyList<ScoredSpan> spans)
    {
        var positives = spans.Where(s => s.Span.Label == true).ToList();
        var negatives = spans.Where(s => s.Span.Label == false).ToList();
        if (positives.Count == 0 || negatives.Count == 0)
        {
            return null;
        }

        return new GeneratorAgreement(
            positives.Count,
            negatives.Count,
            Auroc.Compute([.. positives.Select(s => s.ModelScore)], [.. negatives.Select(s => s.ModelScore)]),
            Auroc.Compute([.. positives.Select(s => s.ClassifierScore)], [.. negatives.Select(s => s.ClassifierScore)]),
            positives.Count(s => s.ModelFlagged) / (double)positives.Count,
            negatives.Count(s => s.ModelFlagged) / (double)negatives.Count,
            positives.Count(s => s.ClassifierFlagged) / (double)positives.Count,
            negatives.Count(s => s.ClassifierFlagged) / (double)negatives.Count);
    }

    private static double? AurocOrNull(IReadOnlyList<ScoredSpan> spans, Func<ScoredSpan, bool> label, Func<ScoredSpan, double> score)
    {
        var positives = spans.Where(label).Select(score).ToList();
        var negatives = spans.Where(s => !label(s)).Select(score).ToList();
        return positives.Count == 0 || negatives.Count == 0 ? null : Auroc.Compute(positives, negatives);
    }

    /// <summary>Each score's percentile rank in (0, 1), ties sharing their mean rank.</summary>
    private static double[] PercentileRanks(double[] scores)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Length];
        int start = 0;
        while (start < order.Length)
        {
            int end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]])
            {
                end++;
            }

            double rank = ((start + end) / 2.0 + 0.5) / scores.Length;
            for (int k = start; k <= end; k++)
            {
                ranks[order[k]] = rank;
            }

            start = end + 1;
        }

        return ranks;
    }

    private static AuditDisagreement ToDisagreement(ScoredSpan s, double gap) =>
        new(s.Span.Id, s.Span.Group, s.Span.Label, s.ModelScore, s.ModelFlagged, s.ClassifierScore, s.ClassifierFlagged, gap, s.Span.Input.Context, s.Span.ActionLine);

    private sealed record ScoredSpan(AuditSpan Span, TagGate Gate, double ModelScore, bool ModelFlagged, double ClassifierScore, bool ClassifierFlagged, bool Truncated);
}
