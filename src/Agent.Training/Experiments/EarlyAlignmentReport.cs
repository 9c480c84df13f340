namespace Agent.Training.Experiments;

/// <summary>The early-alignment experiment: AUROC against untraining steps for a model aligned from the start and one aligned late.</summary>
/// <param name="Preset">The recipe of both models.</param>
/// <param name="LateFrom">The share of the updates after which the late model first saw agent transcripts.</param>
/// <param name="Points">The curve, early then late, by untraining steps.</param>
/// <param name="Seconds">Wall time, training included.</param>
public sealed record EarlyAlignmentReport(string Preset, double LateFrom, IReadOnlyList<AlignmentPoint> Points, double Seconds);
