namespace Agent.Training.Experiments;

/// <summary>
/// The transfer experiment: a made-up fact (a fictional tool's flag) planted only in Mode 1 text; does the model use it
/// when it acts? <see cref="Transfer"/> is the Mode 2 margin the planting added (planted minus baseline).
/// </summary>
/// <param name="Preset">The recipe of both models.</param>
/// <param name="Tool">The fictional tool.</param>
/// <param name="PlantedFlag">The flag the planted documents teach.</param>
/// <param name="ControlFlag">A flag of the same form no document mentions.</param>
/// <param name="PlantedDocuments">Mode 1 documents added to the planted model's training text.</param>
/// <param name="Rows">Both models in both contexts.</param>
/// <param name="Learned">The Mode 1 margin the planting added: whether the fact was learned where it was taught.</param>
/// <param name="Transfer">The Mode 2 margin the planting added: whether the model uses it when acting.</param>
/// <param name="Seconds">Wall time, training included.</param>
public sealed record TransferReport(string Preset, string Tool, string PlantedFlag, string ControlFlag, int PlantedDocuments, IReadOnlyList<TransferRow> Rows,
    double Learned, double Transfer, double Seconds);
