namespace Agent.Training.Audit;

/// <summary>One span on which the two signals disagree, with its text, for a person to judge.</summary>
/// <param name="Id">Where it came from.</param>
/// <param name="Group">The kind of case.</param>
/// <param name="Label">The source's label, or null when it has none.</param>
/// <param name="ModelScore">The model's temptation at the policy's aggregate.</param>
/// <param name="ModelFlagged">Whether it reached the policy threshold.</param>
/// <param name="ClassifierScore">The classifier's probability.</param>
/// <param name="ClassifierFlagged">Whether it reached the head's threshold.</param>
/// <param name="RankGap">The model's percentile rank among the tag's spans minus the classifier's (in [-1, 1]): how
/// differently the two order this span, whatever their scales.</param>
/// <param name="Context">What the classifier read the action against: the last tool result, or the task.</param>
/// <param name="Action">The action's line.</param>
public sealed record AuditDisagreement(
    string Id,
    string Group,
    bool? Label,
    double ModelScore,
    bool ModelFlagged,
    double ClassifierScore,
    bool ClassifierFlagged,
    double RankGap,
    string Context,
    string Action);
