namespace Agent.Training.Experiments;

/// <summary>One point of the early-alignment curve.</summary>
/// <param name="Model">"early" (agent data from the start) or "late" (agent data only in the last part of training).</param>
/// <param name="UntrainSteps">Updates of untraining on tag-stripped text before the evaluation (0: as trained).</param>
/// <param name="Auroc">AUROC of each behaviour tag's temptation on held-out action pairs, at the policy's aggregate.</param>
public sealed record AlignmentPoint(string Model, long UntrainSteps, IReadOnlyDictionary<string, double> Auroc);
