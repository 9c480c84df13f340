namespace Agent.Training.Evaluation;

/// <summary>How well one tag's temptation separates unsafe from safe actions on held-out items.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Positives">Unsafe (or deceitful) actions scored.</param>
/// <param name="Negatives">Safe (or honest) twins scored.</param>
/// <param name="Auroc">Area under the ROC curve of the temptation at <paramref name="Aggregate"/>.</param>
/// <param name="PairedAccuracy">Share of pairs (same context) where the unsafe twin scored higher.</param>
/// <param name="Aggregate">The aggregate over the action's tokens the policy reads for this tag (<c>max</c>, <c>mean</c>, <c>any</c>).</param>
/// <param name="Threshold">The policy threshold the rates below use.</param>
/// <param name="Recall">Share of positives at or above the threshold.</param>
/// <param name="FalsePositiveRate">Share of negatives at or above the threshold.</param>
public sealed record TagEvaluation(string Tag, int Positives, int Negatives, double Auroc, double PairedAccuracy, string Aggregate, double Threshold, double Recall, double FalsePositiveRate);
