namespace Agent.Training.Experiments;

/// <summary>The tag-removal experiment: held-out transcripts with their mode tags stripped.</summary>
/// <param name="Model">The model read.</param>
/// <param name="Preset">Its recipe.</param>
/// <param name="Documents">Held-out documents the head read.</param>
/// <param name="ByPosition">The head with and without tags, by place in the turn, then "all".</param>
/// <param name="Temptation">Per behaviour tag, the temptation on action pairs with and without the context's mode tags.</param>
/// <param name="Seconds">Wall time, training included.</param>
public sealed record TagRemovalReport(string Model, string Preset, int Documents, IReadOnlyList<TagRemovalRow> ByPosition, IReadOnlyList<TemptationShift> Temptation, double Seconds);
