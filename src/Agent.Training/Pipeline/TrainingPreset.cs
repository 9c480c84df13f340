namespace Agent.Training.Pipeline;

/// <summary>
/// A named recipe: corpus size, tokenizer size, model shape and optimisation schedule. <see cref="Default"/> makes the
/// shipped model (models/agent-default.gguf); <see cref="Smoke"/> runs in seconds for tests.
/// </summary>
public sealed record TrainingPreset
{
    /// <summary>The shipped default model's recipe.</summary>
    public static TrainingPreset Default { get; } = new()
    {
        Name = "default",
        Documents = 16_000,
        Merges = 4000,
        Width = 256,
        Layers = 4,
        Heads = 4,
        HeadsKv = 2,
        FeedForward = 640, // with 2 KV heads: 4.94 M parameters, 19.8 MB as F32 (the shipped model stays under 20 MB)
        Context = 256,
        BatchSize = 4,
        WindowLength = 256, // the whole context: a transcript's task, tool results and answer in one window
        AlignWindowsToDocuments = true,
        Steps = 3000, // 12,000 windows: every training document starts about one
        LateTagFraction = 1.0,
        LearningRate = 1e-3f,
        MinLearningRate = 1e-4f,
        WarmupSteps = 150,
        ValidationInterval = 250,
        CheckpointInterval = 250,
    };

    /// <summary>A seconds-long recipe for tests and a quick look at the pipeline.</summary>
    public static TrainingPreset Smoke { get; } = new()
    {
        Name = "smoke",
        Documents = 300,
        Merges = 300,
        Width = 32,
        Layers = 1,
        Heads = 2,
        HeadsKv = 2,
        FeedForward = 64,
        Context = 128,
        BatchSize = 4,
        WindowLength = 64,
        AlignWindowsToDocuments = true,
        Steps = 40,
        LateTagFraction = 0.5,
        LearningRate = 3e-3f,
        MinLearningRate = 3e-4f,
        WarmupSteps = 5,
        ValidationInterval = 20,
        CheckpointInterval = 20,
    };

    /// <summary>The known presets by name.</summary>
    public static IReadOnlyDictionary<string, TrainingPreset> All { get; } = new Dictionary<string, TrainingPreset>(StringComparer.OrdinalIgnoreCase)
    {
        [Default.Name] = Default,
        [Smoke.Name] = Smoke,
    };

    /// <summary>The preset's name.</summary>
    public required string Name { get; init; }

    /// <summary>Synthetic documents to generate (ignored for a user corpus).</summary>
    public int Documents { get; init; }

    /// <summary>BPE merges.</summary>
    public int Merges { get; init; }

    /// <summary>Model width.</summary>
    public int Width { get; init; }

    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; init; }

    /// <summary>KV heads.</summary>
    public int HeadsKv { get; init; }

    /// <summary>SwiGLU width.</summary>
    public int FeedForward { get; init; }

    /// <summary>Model context length.</summary>
    public int Context { get; init; }

    /// <summary>Windows per update.</summary>
    public int BatchSize { get; init; }

    /// <summary>Tokens per window.</summary>
    public int WindowLength { get; init; }

    /// <summary>Whether every training window starts at a document start (see <see cref="Engine.TrainingOptions.DocumentSeparator"/>).</summary>
    public bool AlignWindowsToDocuments { get; init; }

    /// <summary>Optimizer updates.</summary>
    public long Steps { get; init; }

    /// <summary>Share of behaviour spans whose opening tag is moved inside the span (see <see cref="LateTagAugmenter"/>).</summary>
    public double LateTagFraction { get; init; }

    /// <summary>Dropout rate in training (see <see cref="Engine.TrainingOptions.Dropout"/>).</summary>
    public float Dropout { get; init; }

    /// <summary>
    /// How many times the loss counts where a behaviour tag opens (see <see cref="Engine.TrainingOptions.TokenWeight"/>);
    /// 1 counts it like any other token.
    /// </summary>
    public int TagLossWeight { get; init; } = 1;

    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; }

    /// <summary>Final learning rate of the cosine decay.</summary>
    public float MinLearningRate { get; init; }

    /// <summary>Linear warm-up updates.</summary>
    public long WarmupSteps { get; init; }

    /// <summary>Updates between validations.</summary>
    public long ValidationInterval { get; init; }

    /// <summary>Updates between checkpoints.</summary>
    public long CheckpointInterval { get; init; }
}
