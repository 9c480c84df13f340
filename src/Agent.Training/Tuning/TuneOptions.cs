using Agent.Decoding.Transcripts;
using Agent.Llama.Gguf;
using Agent.Training.Engine;

namespace Agent.Training.Tuning;

/// <summary>A tag-tuning run (see <see cref="TagTuner"/>). Values are checked where they are set.</summary>
public sealed record TuneOptions
{
    private readonly long _steps = 300;
    private readonly int _batchSize = 4;
    private readonly int _windowLength = 256;
    private readonly float _learningRate = 1e-3f;
    private readonly int _documents = 4000;
    private readonly float _modeHeadWeight;
    private readonly int _modeHeadHidden;

    /// <summary>The pretrained GGUF to tune.</summary>
    public required string BasePath { get; init; }

    /// <summary>The merged GGUF to write.</summary>
    public required string OutputPath { get; init; }

    /// <summary>Where to write the LoRA adapter GGUF (and, when tags were added, the tag-extended base it applies to), or null.</summary>
    public string? AdapterPath { get; init; }

    /// <summary>Folder for the tokenizer file and checkpoints; an interrupted run of the same recipe resumes from it.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>A folder of .txt / .jsonl to tag and train on instead of the synthetic corpus, or null.</summary>
    public string? CorpusDirectory { get; init; }

    /// <summary>The behaviour tags besides powerseeking and deceit (the mode tags are always there).</summary>
    public IReadOnlyList<string> ExtraTags { get; init; } = [];

    /// <summary>LoRA (default rank 8) or every weight.</summary>
    public TuneMode Mode { get; init; } = TuneMode.Default;

    /// <summary>Optimizer updates; 0 adds the tag tokens (rows initialised, nothing trained) and writes the model.</summary>
    public long Steps { get => _steps; init => _steps = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Steps), value, "Steps must be 0 (add the tags only) or more."); }

    /// <summary>Windows per update.</summary>
    public int BatchSize { get => _batchSize; init => _batchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(BatchSize), value, "BatchSize must be at least 1."); }

    /// <summary>Tokens per window (capped at the base's context length).</summary>
    public int WindowLength { get => _windowLength; init => _windowLength = value >= 2 ? value : throw new ArgumentOutOfRangeException(nameof(WindowLength), value, "WindowLength must be at least 2."); }

    /// <summary>Peak AdamW learning rate (linear warm-up over the first tenth, cosine decay to a tenth).</summary>
    public float LearningRate { get => _learningRate; init => _learningRate = value > 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "LearningRate must be positive."); }

    /// <summary>Synthetic documents to generate when no corpus folder is given.</summary>
    public int Documents { get => _documents; init => _documents = value >= 10 ? value : throw new ArgumentOutOfRangeException(nameof(Documents), value, "Documents must be at least 10."); }

    /// <summary>Seed of corpus, initialisation and batches: the same seed gives the same model.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>CPU threads (0 = ggml's default).</summary>
    public int Threads { get; init; }

    /// <summary>Train on CUDA when a GPU is present.</summary>
    public bool UseGpu { get; init; }

    /// <summary>
    /// The transcript format the corpus's conversations are rendered in: the format the runtime will show the tuned model
    /// (<c>agent tune</c> builds it as the runtime does, from the base's chat template, its tools and tags). Default: the
    /// project's own (<see cref="TranscriptFormat.Default"/>). A chat format (<see cref="IChatTranscriptFormat"/>) needs a
    /// base whose template is of its family. Plain documents (prose) are <c>&lt;mode1&gt;</c> text in every format.
    /// </summary>
    public ITranscriptFormat Format { get; init; } = TranscriptFormat.Default;

    /// <summary>The most memory the run may use; null = the memory available now (MemAvailable, or the GC's limit).</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Type of the written 2-D weights (norms and biases stay F32).</summary>
    public GgufTensorType OutputType { get; init; } = GgufTensorType.F32;

    /// <summary>Updates between checkpoints (0 = only at the end and on cancellation).</summary>
    public long CheckpointInterval { get; init; } = 50;

    /// <summary>
    /// Weight of a mode head's loss (as <see cref="TrainingOptions.ModeHeadWeight"/> in from-scratch training): a linear
    /// head over the base's final hidden state, trained with the tune to give p(Mode 2) at every token, its
    /// cross-entropy against the corpus's mode spans added this many times to the language model's. It is written beside
    /// the merged model (<c>Agent.Decoding.ModeHead.PathFor</c>) with the merged model's fingerprint. 0, the default,
    /// trains no head and writes none.
    /// </summary>
    public float ModeHeadWeight
    {
        get => _modeHeadWeight;
        init => _modeHeadWeight = value >= 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(ModeHeadWeight), value, "ModeHeadWeight must be finite and >= 0 (0: no mode head).");
    }

    /// <summary>
    /// Units of the mode head's hidden layer (silu; as <see cref="TrainingOptions.ModeHeadHidden"/>); 0, the default, a
    /// linear head. Only read with a <see cref="ModeHeadWeight"/>.
    /// </summary>
    public int ModeHeadHidden
    {
        get => _modeHeadHidden;
        init => _modeHeadHidden = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(ModeHeadHidden), value, "ModeHeadHidden must be >= 0 (0: a linear head).");
    }

    /// <summary>Whether the tune trains a mode head.</summary>
    internal bool TrainsModeHead => ModeHeadWeight > 0f;

    internal TrainingDevice Device => UseGpu ? TrainingDevice.Auto : TrainingDevice.Cpu;
}
