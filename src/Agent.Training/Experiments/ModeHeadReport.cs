namespace Agent.Training.Experiments;

/// <summary>The mode-head experiment: per place in the turn, the head against the mode tags alone, on held-out documents.</summary>
/// <param name="Model">The model read.</param>
/// <param name="Preset">Its recipe.</param>
/// <param name="Documents">Held-out documents read.</param>
/// <param name="ByPosition">Rows by place in the turn ("tag" first), then "all" (every token but the tags).</param>
/// <param name="Seconds">Wall time, training included.</param>
public sealed record ModeHeadReport(string Model, string Preset, int Documents, IReadOnlyList<ModeAccuracyRow> ByPosition, double Seconds);
