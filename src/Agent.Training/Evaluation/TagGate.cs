namespace Agent.Training.Evaluation;

/// <summary>
/// How the policy reads one tag for the action kind it is evaluated on: the temptation aggregate over the action's tokens
/// (<c>max</c>, <c>mean</c> or <c>any</c>, see <see cref="Agent.Decoding.TemptationAggregate.Get"/>) and the lowest
/// threshold at which it stops allowing. The evaluation scores every item at this aggregate, so its AUROC, recall and
/// false positives describe the gate as configured.
/// </summary>
/// <param name="Threshold">Recall and false positives are measured at this value.</param>
/// <param name="Aggregate">The aggregate the policy compares with its thresholds.</param>
public sealed record TagGate(double Threshold, string Aggregate = "any");
