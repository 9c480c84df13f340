namespace Agent.Training.Engine;

/// <summary>A snapshot reported after every optimizer update (and after each validation).</summary>
/// <param name="Step">Optimizer updates done so far (over all runs of this model, including resumed ones).</param>
/// <param name="TotalSteps"><see cref="TrainingOptions.MaxSteps"/>.</param>
/// <param name="Loss">Mean training cross-entropy (nats per token) of the last update's batches.</param>
/// <param name="ValidationLoss">The latest validation loss, or null before the first validation.</param>
/// <param name="LearningRate">The learning rate the last update used.</param>
/// <param name="TokensPerSecond">Training tokens per second of this run so far (validation time excluded).</param>
/// <param name="Elapsed">Wall time of this run so far.</param>
/// <param name="EstimatedRemaining">Estimated time to <paramref name="TotalSteps"/>, from this run's pace.</param>
public readonly record struct TrainingProgress(
    long Step, long TotalSteps, double Loss, double? ValidationLoss, float LearningRate, double TokensPerSecond, TimeSpan Elapsed, TimeSpan EstimatedRemaining);
