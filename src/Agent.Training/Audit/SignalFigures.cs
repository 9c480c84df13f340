namespace Agent.Training.Audit;

/// <summary>One signal against the labels of a set of spans. Every figure is null when the set lacks positives or negatives.</summary>
/// <param name="Auroc">The AUROC of the signal's score.</param>
/// <param name="RecallAt2PercentFpr">The best recall with at most 2% of these negatives flagged (a threshold chosen on
/// these very spans: an oracle, comparable across signals, not a deployable threshold).</param>
/// <param name="Recall">The share of positives flagged at the shipped thresholds (for the combination: by the gate).</param>
/// <param name="FalsePositiveRate">The share of negatives flagged there.</param>
/// <param name="ThresholdAt2PercentFpr">The threshold of <paramref name="RecallAt2PercentFpr"/>: the lowest score with at most
/// 2% of these negatives flagged. On the validation split, that is how a policy threshold is chosen (never on test).</param>
public sealed record SignalFigures(double? Auroc, double? RecallAt2PercentFpr, double? Recall, double? FalsePositiveRate, double? ThresholdAt2PercentFpr = null);

/// <summary>The two signals and their combination on one tag and one kind of case.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Group">The kind of case (<c>all</c>, or e.g. <c>after-failure</c>, <c>invited</c>).</param>
/// <param name="Positives">Spans labelled with the tag.</param>
/// <param name="Negatives">Spans labelled without it.</param>
/// <param name="Model">The model's temptation alone, flagged at the policy's model threshold.</param>
/// <param name="Classifier">The classifier alone, flagged at the policy's classifier threshold (the head's when the policy has none).</param>
/// <param name="Combined">AUROC and recall at ≤2% FPR of the combiner's score; recall and false positives as the gate
/// decides (any signal the tag counts at or over its threshold).</param>
/// <param name="CombinerRecall">The share of positives the combiner's score flags at its own threshold (chosen on the fitting spans).</param>
/// <param name="CombinerFalsePositiveRate">The share of negatives it flags there.</param>
public sealed record SignalRow(
    string Tag,
    string Group,
    int Positives,
    int Negatives,
    SignalFigures Model,
    SignalFigures Classifier,
    SignalFigures Combined,
    double? CombinerRecall,
    double? CombinerFalsePositiveRate);

/// <summary>The signals table of one set of spans.</summary>
/// <param name="Source">The spans, e.g. <c>split test</c>.</param>
/// <param name="CombinerInSample">Whether the combiner was fitted on these very spans (then its figures here are in-sample).</param>
/// <param name="Rows">Per tag, all spans first, then each kind of case.</param>
public sealed record SignalTable(string Source, bool CombinerInSample, IReadOnlyList<SignalRow> Rows);

/// <summary>A tag's fitted combiner.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Positives">Labelled positives it was fitted on.</param>
/// <param name="Negatives">Labelled negatives it was fitted on.</param>
/// <param name="Combiner">Its weights on the logits, fitted on all of the tag's fitting spans (pooled).</param>
/// <param name="Threshold">The lowest combined score (<see cref="Score"/>) with at most 2% of the fitting negatives flagged.</param>
public sealed record CombinerFit(string Tag, int Positives, int Negatives, SignalCombiner Combiner, double Threshold)
{
    /// <summary>The fewest spans of each class an outcome needs for a combiner of its own (<see cref="CombinerScope.PerOutcome"/>).</summary>
    public const int MinimumPerClass = 20;

    /// <summary>Which outcomes the combiner tells apart.</summary>
    public CombinerScope Scope { get; init; } = CombinerScope.Pooled;

    /// <summary>Combiners fitted on one outcome's spans alone (as <see cref="Scope"/> reads outcomes); an outcome not
    /// listed is scored by <see cref="Combiner"/>.</summary>
    public IReadOnlyList<OutcomeCombiner> ByOutcome { get; init; } = [];

    /// <summary>The combined score of a span: its outcome's combiner where there is one, else the pooled one.</summary>
    /// <param name="model">The model's temptation.</param>
    /// <param name="classifier">The classifier's probability.</param>
    /// <param name="outcome">How the last tool result before the action ended (read as <see cref="Scope"/> reads it).</param>
    /// <returns>The combined score in (0, 1).</returns>
    public double Score(double model, double classifier, ResultOutcome outcome)
    {
        var read = outcome.In(Scope);
        return (ByOutcome.FirstOrDefault(o => o.Outcome == read)?.Combiner ?? Combiner).Score(model, classifier);
    }
}

/// <summary>A combiner fitted on the spans of one outcome of the last tool result.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Positives">Labelled positives it was fitted on.</param>
/// <param name="Negatives">Labelled negatives it was fitted on.</param>
/// <param name="Combiner">Its weights on the logits.</param>
public sealed record OutcomeCombiner(ResultOutcome Outcome, int Positives, int Negatives, SignalCombiner Combiner);

/// <summary>
/// The model's temptation, the classifier and their combination against the labels, per tag and kind of case: on the
/// audited spans and, when the combiner was fitted on other spans (<c>--fit-on</c>), on those too.
/// </summary>
/// <param name="FitOn">What the combiners were fitted on (and their thresholds chosen on).</param>
/// <param name="Scope">Whether each outcome of the last tool result got a combiner of its own.</param>
/// <param name="Combiners">Per tag with labels of both classes in the fitting spans.</param>
/// <param name="Tables">The audited spans first, then the fitting spans when they differ.</param>
public sealed record SignalsReport(string FitOn, CombinerScope Scope, IReadOnlyList<CombinerFit> Combiners, IReadOnlyList<SignalTable> Tables);
