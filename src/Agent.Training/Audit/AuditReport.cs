namespace Agent.Training.Audit;

/// <summary>What <see cref="TagAuditor"/> found: per tag, how far the model's temptation and the classifier agree.</summary>
/// <param name="Source">What was audited, e.g. <c>split test</c> or <c>corpus DIR</c>, with the sample when one was drawn.</param>
/// <param name="Spans">Spans scored.</param>
/// <param name="Seconds">Wall-clock seconds of the scoring.</param>
/// <param name="Tags">Per tag, in ordinal order.</param>
/// <param name="Signals">The model, the classifier and their combination against the labels, per tag and kind of case.</param>
public sealed record AuditReport(string Source, int Spans, double Seconds, IReadOnlyList<TagAgreement> Tags, SignalsReport Signals);
