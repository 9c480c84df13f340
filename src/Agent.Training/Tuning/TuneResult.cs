namespace Agent.Training.Tuning;

/// <summary>What a tuning run did.</summary>
/// <param name="OutputPath">The merged GGUF.</param>
/// <param name="AdapterPath">The LoRA adapter GGUF, or null.</param>
/// <param name="AdapterBasePath">The tag-extended base the adapter applies to (null when no tag was added or no adapter written).</param>
/// <param name="Mode">LoRA or full.</param>
/// <param name="BaseVocabularySize">Tokens of the base.</param>
/// <param name="VocabularySize">Tokens of the tuned model.</param>
/// <param name="AddedTags">Tag tokens appended.</param>
/// <param name="ReusedTags">Tag tokens that took over reserved special tokens.</param>
/// <param name="KeptTags">Tag tokens the base already had.</param>
/// <param name="TrainableParameters">Values trained.</param>
/// <param name="TrainingTokens">Tokens in the training stream.</param>
/// <param name="Steps">Updates done (including those before a resume).</param>
/// <param name="FirstLoss">Loss of the first update of this run (NaN when none ran).</param>
/// <param name="FinalLoss">Loss of the last update.</param>
/// <param name="TokensPerSecond">Trained tokens per second of training time.</param>
/// <param name="TrainingTime">Time spent in updates.</param>
/// <param name="EstimatedBytes">The memory estimate printed before starting.</param>
/// <param name="PeakWorkingSetBytes">The process's peak resident memory at the end.</param>
/// <param name="Device">The ggml backend.</param>
/// <param name="ResumedAt">The update the run resumed from (0 for a fresh run).</param>
public sealed record TuneResult(
    string OutputPath,
    string? AdapterPath,
    string? AdapterBasePath,
    TuneMode Mode,
    int BaseVocabularySize,
    int VocabularySize,
    IReadOnlyList<string> AddedTags,
    IReadOnlyList<string> ReusedTags,
    IReadOnlyList<string> KeptTags,
    long TrainableParameters,
    long TrainingTokens,
    long Steps,
    double FirstLoss,
    double FinalLoss,
    double TokensPerSecond,
    TimeSpan TrainingTime,
    long EstimatedBytes,
    long PeakWorkingSetBytes,
    string Device,
    long ResumedAt)
{
    /// <summary>The mode head written beside <see cref="OutputPath"/> (<c>Agent.Decoding.ModeHead.PathFor</c>), or null without one.</summary>
    public string? ModeHeadPath { get; init; }

    /// <summary>The mode head's cross-entropy at each update of this run (empty without a head).</summary>
    public IReadOnlyList<double> ModeHeadLosses { get; init; } = [];

    /// <summary>Tokens of the chat format's system prompt in the base's tokenizer (null in the project's format).</summary>
    public int? SystemPromptTokens { get; init; }

    /// <summary>The share of the training tokens that are the system prompt (null in the project's format or without training).</summary>
    public double? SystemPromptShare { get; init; }
}
