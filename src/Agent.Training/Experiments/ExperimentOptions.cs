using Agent.Decoding;
using Agent.Training.Evaluation;
using Agent.Training.Pipeline;

namespace Agent.Training.Experiments;

/// <summary>
/// What the mode experiments (<see cref="ModeExperiments"/>) train and measure. Every model is trained by the
/// <see cref="TrainingPipeline"/> in a folder of <see cref="WorkDirectory"/> named after its recipe and is reused by the
/// next experiment that needs it, so running all four trains three models. Deterministic given <see cref="Seed"/>.
/// </summary>
public sealed record ExperimentOptions
{
    private readonly float _modeHeadWeight = 1f;
    private readonly double _lateFrom = 0.75;
    private readonly int _maxItems = 40;
    private readonly int _maxDocuments = 80;
    private readonly IReadOnlyList<long> _untrainSteps = [0, 20, 50, 100];

    /// <summary>The model shape and schedule (default <see cref="ExperimentPresets.Experiment"/>).</summary>
    public TrainingPreset Preset { get; init; } = ExperimentPresets.Experiment;

    /// <summary>Seed of the corpus, the tokenizer's ties, the weights, the batches and the planted facts.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Where the models are trained and kept.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>CPU threads (0 = all cores).</summary>
    public int Threads { get; init; }

    /// <summary>The tags the decoder resolves (the modes and the behaviours scored).</summary>
    public required TagOptions Tags { get; init; }

    /// <summary>Per behaviour tag, the aggregate (and threshold) the policy reads; AUROC is read at that aggregate.</summary>
    public required IReadOnlyDictionary<string, TagGate> Gates { get; init; }

    /// <summary>Weight of the mode head's loss in the models that have one (&gt; 0).</summary>
    public float ModeHeadWeight
    {
        get => _modeHeadWeight;
        init => _modeHeadWeight = value > 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(ModeHeadWeight), value, "ModeHeadWeight must be finite and > 0.");
    }

    /// <summary>early-alignment: the share of the updates after which the late model first sees agent transcripts, in (0, 1).</summary>
    public double LateFrom
    {
        get => _lateFrom;
        init => _lateFrom = value is > 0 and < 1 ? value : throw new ArgumentOutOfRangeException(nameof(LateFrom), value, "LateFrom must be in (0, 1).");
    }

    /// <summary>At most this many scored actions per tag (pairs kept together), at least 2.</summary>
    public int MaxItems
    {
        get => _maxItems;
        init => _maxItems = value >= 2 ? value : throw new ArgumentOutOfRangeException(nameof(MaxItems), value, "MaxItems must be at least 2 (one pair).");
    }

    /// <summary>At most this many held-out documents whose every token the mode head reads, at least 1.</summary>
    public int MaxDocuments
    {
        get => _maxDocuments;
        init => _maxDocuments = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxDocuments), value, "MaxDocuments must be at least 1.");
    }

    /// <summary>early-alignment: the untraining lengths of the curve (updates on tag-stripped text; 0 = the model as trained).</summary>
    public IReadOnlyList<long> UntrainSteps
    {
        get => _untrainSteps;
        init => _untrainSteps = value is { Count: > 0 } && value.All(v => v >= 0)
            ? [.. value.Distinct().Order()]
            : throw new ArgumentOutOfRangeException(nameof(UntrainSteps), "UntrainSteps needs at least one count, each >= 0.");
    }
}
