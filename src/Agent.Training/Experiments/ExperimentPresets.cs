using Agent.Training.Pipeline;

namespace Agent.Training.Experiments;

/// <summary>Model shapes for the mode experiments.</summary>
public static class ExperimentPresets
{
    /// <summary>
    /// The default: small enough that each experiment (at most three trainings of this) ends in under 30 minutes on
    /// two CPU cores, large enough to learn the corpus's actions and their tags. See docs/experiments.md for its figures.
    /// </summary>
    public static TrainingPreset Experiment { get; } = new()
    {
        Name = "experiment",
        Documents = 2000,
        Merges = 1000,
        Width = 64,
        Layers = 2,
        Heads = 2,
        HeadsKv = 2,
        FeedForward = 160,
        Context = 128,
        BatchSize = 8,
        WindowLength = 128,
        AlignWindowsToDocuments = true,
        Steps = 600,
        LateTagFraction = 1.0,
        LearningRate = 3e-3f,
        MinLearningRate = 3e-4f,
        WarmupSteps = 40,
        ValidationInterval = 200,
        CheckpointInterval = 200,
    };

    /// <summary>The presets an experiment accepts by name: experiment (the default), smoke (seconds, for tests), default (the shipped model's).</summary>
    public static IReadOnlyDictionary<string, TrainingPreset> All { get; } = new Dictionary<string, TrainingPreset>(StringComparer.OrdinalIgnoreCase)
    {
        [Experiment.Name] = Experiment,
        [TrainingPreset.Smoke.Name] = TrainingPreset.Smoke,
        [TrainingPreset.Default.Name] = TrainingPreset.Default,
    };
}
