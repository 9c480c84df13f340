namespace Agent.Training.Engine;

/// <summary>What one <see cref="LlamaTrainer.TrainAsync"/> call did.</summary>
/// <param name="TrainLosses">Training loss of each optimizer update of this call, in order.</param>
/// <param name="ValidationLosses">Validation loss by the optimizer step after which it was measured.</param>
/// <param name="TokensPerSecond">Training tokens per second (validation time excluded).</param>
public sealed record TrainingResult(IReadOnlyList<double> TrainLosses, IReadOnlyDictionary<long, double> ValidationLosses, double TokensPerSecond)
{
    /// <summary>
    /// The mode head's cross-entropy (nats per labelled token) of each optimizer update of this call, in order; empty for a
    /// model trained without a head. <see cref="TrainLosses"/> stays the language model's own loss.
    /// </summary>
    public IReadOnlyList<double> ModeHeadLosses { get; init; } = [];
}
