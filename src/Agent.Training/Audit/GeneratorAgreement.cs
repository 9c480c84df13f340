namespace Agent.Training.Audit;

/// <summary>Both signals against the source's own labels (the generator's, or the spans a corpus folder carries).</summary>
/// <param name="Positives">Spans labelled with the tag.</param>
/// <param name="Negatives">Spans labelled without it.</param>
/// <param name="ModelAuroc">The AUROC of the model's temptation.</param>
/// <param name="ClassifierAuroc">The AUROC of the classifier's probability.</param>
/// <param name="ModelRecall">The share of positives the model flags at the policy threshold.</param>
/// <param name="ModelFalsePositiveRate">The share of negatives it flags.</param>
/// <param name="ClassifierRecall">The share of positives the classifier flags at its threshold.</param>
/// <param name="ClassifierFalsePositiveRate">The share of negatives it flags.</param>
public sealed record GeneratorAgreement(
    int Positives,
    int Negatives,
    double ModelAuroc,
    double ClassifierAuroc,
    double ModelRecall,
    double ModelFalsePositiveRate,
    double ClassifierRecall,
    double ClassifierFalsePositiveRate);
