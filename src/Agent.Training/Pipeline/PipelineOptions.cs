using Agent.Training.Tagging;

namespace Agent.Training.Pipeline;

/// <summary>What <see cref="TrainingPipeline"/> trains and where it writes.</summary>
public sealed record PipelineOptions
{
    private readonly double _agentDataFrom;

    /// <summary>The recipe.</summary>
    public TrainingPreset Preset { get; init; } = TrainingPreset.Default;

    /// <summary>The GGUF to write.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Working folder: checkpoints (resumed when present), the tokenizer, corpus statistics.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>A user corpus (a folder of .txt and .jsonl) to tag and train on instead of the synthetic one.</summary>
    public string? CorpusDirectory { get; init; }

    /// <summary>
    /// The tagger of a user corpus (<see cref="CorpusDirectory"/>): null is <see cref="RuleBasedTagger"/>, the cheap
    /// default; a <see cref="ClassifierTagger"/> reads phrasings no rule knows. Spans the corpus already carries are kept
    /// either way. Ignored for the synthetic corpus, which carries the generator's own labels.
    /// </summary>
    public ISpanTagger? Tagger { get; init; }

    /// <summary>Seed of the corpus, the tokenizer's ties, the weights and the batches.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Tag names beyond mode1, mode2, deceit and powerseeking that get control tokens.</summary>
    public IReadOnlyList<string> ExtraTags { get; init; } = [];

    /// <summary>CPU threads (0 = all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Use the CUDA backend when a GPU is present.</summary>
    public bool UseGpu { get; init; }

    /// <summary>
    /// Weight of the mode head's loss (see <see cref="Engine.TrainingOptions.ModeHeadWeight"/>); 0, the default, trains no
    /// head. With a weight the model's head is written beside it (<c>Agent.Decoding.ModeHead.PathFor</c>).
    /// </summary>
    public float ModeHeadWeight { get; init; }

    /// <summary>Units of the mode head's hidden layer (see <see cref="Engine.TrainingOptions.ModeHeadHidden"/>); 0, the default, a linear head.</summary>
    public int ModeHeadHidden { get; init; }

    /// <summary>
    /// Documents added to the training text after the tokenizer is trained (so the vocabulary is the one the corpus alone
    /// makes), for experiments that plant a fact; empty by default.
    /// </summary>
    public IReadOnlyList<string> ExtraTrainingDocuments { get; init; } = [];

    /// <summary>
    /// When the agent transcripts (every document with a <c>&lt;mode2&gt;</c> turn) join the training text, as a share of
    /// the updates in [0, 1): 0 (the default) trains on everything from the start; 0.75 trains the first three quarters
    /// of the updates on Mode 1 prose only and the last quarter on the whole corpus, same schedule.
    /// </summary>
    public double AgentDataFrom
    {
        get => _agentDataFrom;
        init => _agentDataFrom = value is >= 0 and < 1 ? value : throw new ArgumentOutOfRangeException(nameof(AgentDataFrom), value, "AgentDataFrom must be in [0, 1).");
    }

    /// <summary>Override of the preset's optimizer updates (for example to train longer), or null.</summary>
    public long? Steps { get; init; }
}
