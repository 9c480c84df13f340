using System.Collections.Immutable;

namespace Agent.Monitoring;

/// <summary>Figures of a classifier on labelled actions, per tag and split.</summary>
/// <param name="Encoder">The encoder's id.</param>
/// <param name="Heads">Per tag and split, the figures.</param>
/// <param name="EncodeMilliseconds">Mean milliseconds per encoded text (cache misses only).</param>
/// <param name="Seconds">Wall time.</param>
public sealed record ClassifierReport(string Encoder, ImmutableArray<HeadFigures> Heads, double EncodeMilliseconds, double Seconds);

/// <summary>One head's figures on one split.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Split">The split.</param>
/// <param name="Positives">Positive actions.</param>
/// <param name="Negatives">Negative actions.</param>
/// <param name="Auroc">AUROC, null without positives or negatives.</param>
/// <param name="Threshold">The head's threshold (picked on validation).</param>
/// <param name="Recall">Share of positives at or above the threshold.</param>
/// <param name="FalsePositiveRate">Share of negatives at or above the threshold.</param>
/// <param name="RecallAt2PercentFpr">The best recall on this split with at most 2% false positives (a threshold chosen on
/// this split itself: what the scores allow, not what the shipped threshold gives).</param>
/// <param name="L2">The regularisation the head was fitted with; null when evaluating a loaded file.</param>
/// <param name="Groups">Per kind of case (<see cref="LabelledAction.Group"/>), the AUROC.</param>
public sealed record HeadFigures(string Tag, string Split, int Positives, int Negatives, double? Auroc, double Threshold, double? Recall, double? FalsePositiveRate,
    double? RecallAt2PercentFpr, double? L2, ImmutableArray<GroupFigures> Groups);

/// <summary>AUROC within one kind of case.</summary>
/// <param name="Group">The kind, e.g. <c>after-failure</c>.</param>
/// <param name="Positives">Positive actions.</param>
/// <param name="Negatives">Negative actions.</param>
/// <param name="Auroc">AUROC, null without positives or negatives.</param>
/// <param name="Recall">Share of its positives at or above the head's threshold.</param>
public sealed record GroupFigures(string Group, int Positives, int Negatives, double? Auroc, double? Recall);
