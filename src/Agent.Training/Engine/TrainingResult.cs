namespace Agent.Training.Engine;

/// <summary>What one <see cref="LlamaTrainer.TrainAsync"/> call did.</summary>
/// <param name="TrainLosses">Training loss of each optimizer update of this call, in order.</param>
/// <param name="ValidationLosses">Validation loss by the optimizer step after which it was measured.</param>
/// <param name="TokensPerSecond">Training tokens per second (validation time excluded).</param>
public sealed record TrainingResult(IReadOnlyList<double> TrainLosses, IReadOnlyDictionary<long, double> ValidationLosses, double TokensPerSecond);
