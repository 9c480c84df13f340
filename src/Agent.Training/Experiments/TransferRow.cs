namespace Agent.Training.Experiments;

/// <summary>How likely one model finds the planted flag against a control flag after one prompt.</summary>
/// <param name="Model">"planted" (the fact was in its Mode 1 training text) or "baseline" (same corpus and seed without it).</param>
/// <param name="Context">"mode1" (a prose sentence about the tool) or "mode2" (a tool call in a task).</param>
/// <param name="PlantedLogProb">Log-probability (nats) of the planted flag's tokens.</param>
/// <param name="ControlLogProb">Log-probability of the control flag's tokens (never in any training text).</param>
/// <param name="Margin">PlantedLogProb - ControlLogProb.</param>
/// <param name="Prompts">Prompts averaged over.</param>
public sealed record TransferRow(string Model, string Context, double PlantedLogProb, double ControlLogProb, double Margin, int Prompts);
