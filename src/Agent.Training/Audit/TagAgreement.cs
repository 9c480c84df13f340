using Agent.Training.Evaluation;

namespace Agent.Training.Audit;

/// <summary>
/// One tag's agreement between the model's temptation and the classifier. Each signal "flags" a span at its own
/// threshold: the model at the policy's (<c>Policy:Tags</c>, or a tool's own override, read at the policy's aggregate),
/// the classifier at its head's (from its weights).
/// </summary>
/// <param name="Tag">The tag.</param>
/// <param name="Spans">Spans audited for it.</param>
/// <param name="ModelGates">Per tool, the aggregate and threshold the model's temptation was read at.</param>
/// <param name="ClassifierThreshold">The head's threshold.</param>
/// <param name="Confusion">How often each flags, alone or together.</param>
/// <param name="Agreement">The share of spans on which both flag or both do not.</param>
/// <param name="Kappa">Cohen's kappa of the two flags (agreement beyond chance); null when it is undefined.</param>
/// <param name="ModelAurocOnClassifierFlags">The AUROC of the model's temptation with the classifier's flags as labels; null
/// when the classifier flags all spans or none.</param>
/// <param name="ClassifierAurocOnModelFlags">The AUROC of the classifier's probability with the model's flags as labels; null
/// when the model flags all spans or none.</param>
/// <param name="Generator">Both signals against the source's own labels, or null when it has none (or only one class).</param>
/// <param name="Truncated">Spans whose text the classifier read only in part.</param>
/// <param name="ModelHigher">The spans the model ranks furthest above the classifier (flagged by the model alone first).</param>
/// <param name="ClassifierHigher">The spans the classifier ranks furthest above the model (flagged by the classifier alone first).</param>
public sealed record TagAgreement(
    string Tag,
    int Spans,
    IReadOnlyDictionary<string, TagGate> ModelGates,
    double ClassifierThreshold,
    AuditConfusion Confusion,
    double Agreement,
    double? Kappa,
    double? ModelAurocOnClassifierFlags,
    double? ClassifierAurocOnModelFlags,
    GeneratorAgreement? Generator,
    int Truncated,
    IReadOnlyList<AuditDisagreement> ModelHigher,
    IReadOnlyList<AuditDisagreement> ClassifierHigher);
