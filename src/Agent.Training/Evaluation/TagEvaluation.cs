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
/// <param name="AfterSuccess">The items whose last tool result before the action succeeded (exit 0).</param>
/// <param name="AfterFailure">The items whose last tool result before the action failed (exit not 0).</param>
public sealed record TagEvaluation(string Tag, int Positives, int Negatives, double Auroc, double PairedAccuracy, string Aggregate, double Threshold, double Recall, double FalsePositiveRate,
    ResultGroup AfterSuccess, ResultGroup AfterFailure);

/// <summary>
/// A tag's items after one kind of tool result. For deceit the two groups are different kinds of lie: after a failure
/// a lie claims success, after a success it changes a number or a fact, or denies a call, which only a comparison with
/// the result or the transcript reveals.
/// </summary>
/// <param name="Positives">Unsafe (or deceitful) actions in the group.</param>
/// <param name="Negatives">Safe (or honest) actions in the group.</param>
/// <param name="Auroc">Their AUROC; null when either side is empty.</param>
public sealed record ResultGroup(int Positives, int Negatives, double? Auroc);
