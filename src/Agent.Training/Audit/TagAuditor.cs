using System.Collections.Immutable;
using System.Diagnostics;
using Agent.Decoding;
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

    /// <summary>Scores the spans with both signals and compares them, with each other and (in <see cref="AuditReport.Signals"/>) with the labels.</summary>
    /// <param name="source">What is audited, for the report.</param>
    /// <param name="spans">The spans; a span whose tag the classifier has no head for is refused.</param>
    /// <param name="policy">How the policy reads each tool and tag: the model's aggregate and threshold, the classifier's threshold, the gate's decision.</param>
    /// <param name="top">How many disagreements to list each way per tag.</param>
    /// <param name="fitSource">What <paramref name="fitSpans"/> are, for the report.</param>
    /// <param name="fitSpans">Labelled spans (e.g. the validation split) to fit each tag's <see cref="SignalCombiner"/> on and
    /// choose its threshold on; they are scored too. Null: fit on the audited spans (in-sample, and the report says so).</param>
    /// <param name="progress">Reports the number of spans scored (the fitting spans after the audited ones).</param>
    /// <param name="scores">Receives every span's two signals as it is scored (null: none).</param>
    /// <param name="combiner">Which outcomes of the last tool result get a combiner of their own (<see cref="CombinerScope"/>).</param>
    /// <param name="cancellationToken">Cancels between spans.</param>
    /// <exception cref="ArgumentException">A span's tag has no classifier head.</exception>
    public async Task<AuditReport> AuditAsync(string source, IReadOnlyList<AuditSpan> spans, IAuditPolicy policy, int top = 10,
        string? fitSource = null, IReadOnlyList<AuditSpan>? fitSpans = null, IProgress<int>? progress = null, Action<AuditSpanScore>? scores = null,
        CombinerScope combiner = CombinerScope.PerOutcomeAndFlaggedCall, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        if (fitSpans is not null)
        {
            ArgumentNullException.ThrowIfNull(fitSource);
        }

        var heads = _classifier.Heads.ToDictionary(h => h.Tag, StringComparer.Ordinal);
        var missing = spans.Concat(fitSpans ?? []).Select(s => s.Tag).Distinct().Where(t => !heads.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"The classifier ({_classifier.WeightsPath}) has no head for {string.Join(", ", missing)}; train one with agent classifier train.", nameof(spans));
        }

        var watch = Stopwatch.StartNew();
        var scored = await ScoreAsync(spans, policy, heads, 0, progress, scores is null ? null : s => scores(ToScore(s, fitting: false)), cancellationToken).ConfigureAwait(false);
        var fitScored = fitSpans is null ? null
            : await ScoreAsync(fitSpans, policy, heads, scored.Count, progress, scores is null ? null : s => scores(ToScore(s, fitting: true)), cancellationToken).ConfigureAwait(false);

        var tags = scored.GroupBy(s => s.Span.Tag).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Compare(g.Key, [.. g], heads[g.Key].Threshold, top))
            .ToList();
        var signals = SignalMeasures.Build(source, [.. scored.Select(ToSignal)], fitSource, fitScored?.Select(ToSignal).ToList(), combiner);
        return new AuditReport(source, scored.Count, watch.Elapsed.TotalSeconds, tags, signals);
    }

    private async Task<List<ScoredSpan>> ScoreAsync(IReadOnlyList<AuditSpan> spans, IAuditPolicy policy, Dictionary<string, TagHeadInfo> heads, int done,
        IProgress<int>? progress, Action<ScoredSpan>? scoredSpan, CancellationToken cancellationToken)
    {
        var scored = new List<ScoredSpan>(spans.Count);
        foreach (var span in spans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var gate = policy.ModelGate(span.Tool, span.Tag);
            var model = await _scorer.ScoreAsync(span.Id, span.Prompt, span.ActionLine, cancellationToken).ConfigureAwait(false);
            TemptationAggregate? aggregate = model.Temptation.TryGetValue(span.Tag, out var a) ? a : null;
            var temptation = aggregate?.Get(gate.Aggregate) ?? 0;
            var classifier = _classifier.Score(span.Input);
            double? seen = classifier.Probabilities.TryGetValue(span.Tag, out var p) ? p : null;
            var probability = seen ?? 0;
            var shippedThreshold = policy.ClassifierThreshold(span.Tool, span.Tag) ?? heads[span.Tag].Threshold;
            scored.Add(new ScoredSpan(span, gate, temptation, temptation >= gate.Threshold, probability, probability >= heads[span.Tag].Threshold, classifier.Truncated,
                probability >= shippedThreshold, policy.Fires(span.Tool, span.Tag, aggregate, seen, span.Input.Result?.ExitCode)) { EarlierCalls = EarlierCallRisk.Of(_classifier, span.Input) });
            scoredSpan?.Invoke(scored[^1]);
            progress?.Report(done + scored.Count);
        }

        return scored;
    }

    private static AuditSpanScore ToScore(ScoredSpan s, bool fitting) =>
        new(s.Span.Id, s.Span.Tag, s.Span.Group, s.Span.Label, s.ModelScore, s.ClassifierScore, s.Span.Input.Result?.ExitCode, fitting)
        {
            EarlierCallRisk = s.EarlierCalls?.Highest,
            EarlierCallFlagged = s.EarlierCalls?.Flagged,
        };

    private static SignalSpan ToSignal(ScoredSpan s) =>
        new(s.Span.Tag, s.Span.Group, s.Span.Label, s.ModelScore, s.ModelFlagged, s.ClassifierScore, s.ShippedClassifierFlagged, s.GateFlagged,
            ResultOutcomes.Of(s.Span.Input.Result?.ExitCode, s.EarlierCalls?.Flagged == true));

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

    // ClassifierFlagged: at the head's threshold (the agreement's flags); ShippedClassifierFlagged: at the policy's classifier
    // threshold for the tool (the head's when it has none); GateFlagged: the gate stops the action for the span's tag.
    private sealed record ScoredSpan(AuditSpan Span, TagGate Gate, double ModelScore, bool ModelFlagged, double ClassifierScore, bool ClassifierFlagged, bool Truncated,
        bool ShippedClassifierFlagged, bool GateFlagged)
    {
        public EarlierCallRisk? EarlierCalls { get; init; }
    }
}
