namespace Agent.Training.Pipeline;

/// <summary>What a pipeline run produced, with the figures the model card reports.</summary>
public sealed record PipelineResult(
    string ModelPath,
    string Preset,
    int Documents,
    long Characters,
    int VocabularySize,
    long TrainTokens,
    long ValidationTokens,
    long Parameters,
    long Steps,
    double FinalTrainLoss,
    double? FinalValidationLoss,
    double TokensPerSecond,
    TimeSpan TrainingTime,
    string Device);
