namespace Agent.Training.Audit;

/// <summary>One span's two signals as the audit scored them, for a person (or a script) to study beyond the report's tables.</summary>
/// <param name="Id">The span's id.</param>
/// <param name="Tag">The tag.</param>
/// <param name="Group">The kind of case.</param>
/// <param name="Label">The label, or null.</param>
/// <param name="Model">The model's temptation at the policy's aggregate.</param>
/// <param name="Classifier">The classifier's probability.</param>
/// <param name="ExitCode">For an answer, the exit code of the last tool result it reads; null for a call or when no tool ran.</param>
/// <param name="Fitting">Whether the span is one of the combiner's fitting spans (<c>--fit-on</c>) rather than an audited one.</param>
public sealed record AuditSpanScore(string Id, string Tag, string Group, bool? Label, double Model, double Classifier, int? ExitCode, bool Fitting)
{
    /// <summary>For an answer after earlier calls, the highest probability the classifier's call heads gave any of them; else null.</summary>
    public double? EarlierCallRisk { get; init; }

    /// <summary>For an answer after earlier calls, whether any of them reached its call head's threshold; else null.</summary>
    public bool? EarlierCallFlagged { get; init; }
}
