namespace Agent.Training.Audit;

/// <summary>The two signals' flags on one tag's spans, at their thresholds.</summary>
/// <param name="Both">Flagged by both.</param>
/// <param name="ModelOnly">Flagged by the model's temptation alone.</param>
/// <param name="ClassifierOnly">Flagged by the classifier alone.</param>
/// <param name="Neither">Flagged by neither.</param>
public sealed record AuditConfusion(int Both, int ModelOnly, int ClassifierOnly, int Neither);
