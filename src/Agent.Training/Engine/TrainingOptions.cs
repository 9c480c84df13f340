namespace Agent.Training.Engine;

/// <summary>
/// How a <see cref="LlamaTrainer"/> trains. Every property rejects a bad value where it is set
/// (<see cref="ArgumentOutOfRangeException"/> naming the property); checks that need the model shape (the window
/// against the context length) run in <see cref="LlamaTrainer.Create"/>.
/// </summary>
/// <remarks>
/// There is no gradient clipping: ggml-opt computes the gradients and the AdamW update in one graph, with no hook in
/// between, so a global gradient norm cannot be applied before the step. Stability comes from the linear warm-up
/// (<see cref="WarmupSteps"/>) and a conservative peak <see cref="LearningRate"/> instead; AdamW's per-weight
/// normalisation already bounds each update by about the learning rate.
/// </remarks>
public sealed class TrainingOptions
{
    private long _seed = 1;
    private int _batchSize = 8;
    private int _windowLength = 128;
    private long _maxSteps = 1000;
    private float _learningRate = 1e-3f;
    private float _minLearningRate = 1e-4f;
    private long _warmupSteps = 100;
    private float _weightDecay = 0.1f;
    private float _beta1 = 0.9f;
    private float _beta2 = 0.999f;
    private int _gradientAccumulation = 1;
    private long _validationInterval = 100;
    private int _validationBatches = 8;
    private long _checkpointInterval;
    private int _threads;
    private float _initStandardDeviation = 0.02f;
    private float _dropout;
    private int _tokenWeight = 1;
    private int[] _weightedTokens = [];
    private float _modeHeadWeight;
    private int _modeHeadHidden;

    /// <summary>Seeds the weight initialisation and the window order; the same seed gives the same run.</summary>
    public long Seed { get => _seed; init => _seed = value; }

    /// <summary>Windows per batch (B), at least 1.</summary>
    public int BatchSize { get => _batchSize; init => _batchSize = Positive(value, nameof(BatchSize)); }

    /// <summary>Tokens per window (T), at least 2 and at most the model's context length.</summary>
    public int WindowLength
    {
        get => _windowLength;
        init => _windowLength = value >= 2 ? value : throw new ArgumentOutOfRangeException(nameof(WindowLength), value, "WindowLength must be at least 2 tokens.");
    }

    /// <summary>Optimizer updates to reach (a resumed run continues up to this count), at least 1.</summary>
    public long MaxSteps { get => _maxSteps; init => _maxSteps = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxSteps), value, "MaxSteps must be at least 1."); }

    /// <summary>
    /// The token id that ends each document of the training stream (the pipeline's EOS), or null. When set, every
    /// training window starts where a document starts (a document longer than a window gets further windows through
    /// its end), so the model always sees a transcript's task above the actions it learns; when null, windows are cut
    /// from the stream at a random offset per epoch. Validation windows are cut from the stream either way.
    /// </summary>
    public int? DocumentSeparator { get; init; }

    /// <summary>Peak AdamW learning rate, reached after the warm-up; finite and &gt; 0.</summary>
    public float LearningRate { get => _learningRate; init => _learningRate = PositiveFinite(value, nameof(LearningRate)); }

    /// <summary>Learning rate at the end of the cosine decay; finite, &gt; 0 and at most <see cref="LearningRate"/>.</summary>
    public float MinLearningRate { get => _minLearningRate; init => _minLearningRate = PositiveFinite(value, nameof(MinLearningRate)); }

    /// <summary>Updates of linear warm-up from LearningRate/WarmupSteps to LearningRate, &gt;= 0.</summary>
    public long WarmupSteps { get => _warmupSteps; init => _warmupSteps = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(WarmupSteps), value, "WarmupSteps must be >= 0."); }

    /// <summary>AdamW decoupled weight decay in [0, 1] (ggml multiplies it by the learning rate).</summary>
    public float WeightDecay { get => _weightDecay; init => _weightDecay = value is >= 0f and <= 1f ? value : throw new ArgumentOutOfRangeException(nameof(WeightDecay), value, "WeightDecay must be in [0, 1]."); }

    /// <summary>AdamW first-moment decay in [0, 1).</summary>
    public float Beta1 { get => _beta1; init => _beta1 = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(Beta1), value, "Beta1 must be in [0, 1)."); }

    /// <summary>AdamW second-moment decay in [0, 1).</summary>
    public float Beta2 { get => _beta2; init => _beta2 = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(Beta2), value, "Beta2 must be in [0, 1)."); }

    /// <summary>Batches whose gradients are averaged per optimizer update, at least 1.</summary>
    public int GradientAccumulation { get => _gradientAccumulation; init => _gradientAccumulation = Positive(value, nameof(GradientAccumulation)); }

    /// <summary>Validate every this many updates (0: only at the end of a run).</summary>
    public long ValidationInterval { get => _validationInterval; init => _validationInterval = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(ValidationInterval), value, "ValidationInterval must be >= 0."); }

    /// <summary>At most this many batches of the validation stream are evaluated per validation, at least 1.</summary>
    public int ValidationBatches { get => _validationBatches; init => _validationBatches = Positive(value, nameof(ValidationBatches)); }

    /// <summary>Folder that checkpoints are written to (null: no checkpoints).</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Write a checkpoint every this many updates (0: only at the end of a run or on cancellation).</summary>
    public long CheckpointInterval { get => _checkpointInterval; init => _checkpointInterval = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), value, "CheckpointInterval must be >= 0."); }

    /// <summary>CPU threads (0: one per processor).</summary>
    public int Threads { get => _threads; init => _threads = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Threads), value, "Threads must be >= 0 (0: one per processor)."); }

    /// <summary>Where to compute.</summary>
    public TrainingDevice Device { get; init; } = TrainingDevice.Auto;

    /// <summary>Standard deviation of the initial weights (normal); output projections are further scaled by 1/sqrt(2·layers).</summary>
    public float InitStandardDeviation { get => _initStandardDeviation; init => _initStandardDeviation = PositiveFinite(value, nameof(InitStandardDeviation)); }

    /// <summary>
    /// Dropout rate in [0, 1) on the token embeddings and on every block's attention and feed-forward outputs, in
    /// training only (validation and the saved model see no dropout); 0 (the default) builds the graph without it.
    /// The masks are drawn from the seed and the number of windows drawn so far, so a resumed run draws the same ones.
    /// </summary>
    public float Dropout { get => _dropout; init => _dropout = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(Dropout), value, "Dropout must be in [0, 1)."); }

    /// <summary>
    /// How many times the loss counts at a position whose target is one of <see cref="WeightedTokens"/>, at least 1
    /// (1, the default: every position counts once, and the graph is the plain one). The pipeline weights the behaviour
    /// tags' opening tokens: each is one position among thousands, yet it is the decision the action gate reads.
    /// Training only; the validation loss stays the plain mean over every position. The reported training loss is the
    /// weighted mean.
    /// </summary>
    public int TokenWeight { get => _tokenWeight; init => _tokenWeight = Positive(value, nameof(TokenWeight)); }

    /// <summary>The target token ids whose loss counts <see cref="TokenWeight"/> times (empty: none).</summary>
    public int[] WeightedTokens
    {
        get => _weightedTokens;
        init => _weightedTokens = value is null
            ? throw new ArgumentNullException(nameof(WeightedTokens))
            : value.All(id => id >= 0) ? [.. value] : throw new ArgumentOutOfRangeException(nameof(WeightedTokens), "WeightedTokens must be token ids (>= 0).");
    }

    /// <summary>
    /// Weight of the mode head's loss beside the language model's, &gt;= 0 (0, the default: no head, and the graph is the
    /// plain one). With a weight the model gets a small linear head over its final hidden state that predicts, at every
    /// token, whether the token belongs to a Mode 1 turn (text the model reads) or a Mode 2 turn (the model acting);
    /// training minimises LM cross-entropy + ModeHeadWeight × the head's cross-entropy, and the head's gradient reaches
    /// every weight of the model. The labels come from the input itself: a token's mode is that of the last
    /// <see cref="PlainModeToken"/> / <see cref="AgentModeToken"/> at or before it in its window; tokens before any mode
    /// tag, or after a <see cref="DocumentSeparator"/> with none since, are left out of the head's loss.
    /// </summary>
    public float ModeHeadWeight
    {
        get => _modeHeadWeight;
        init => _modeHeadWeight = value >= 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(ModeHeadWeight), value, "ModeHeadWeight must be finite and >= 0 (0: no mode head).");
    }

    /// <summary>
    /// Units of the mode head's hidden layer (silu), &gt;= 0; 0, the default, makes the head linear. Only read with a
    /// <see cref="ModeHeadWeight"/>.
    /// </summary>
    public int ModeHeadHidden
    {
        get => _modeHeadHidden;
        init => _modeHeadHidden = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(ModeHeadHidden), value, "ModeHeadHidden must be >= 0 (0: a linear head).");
    }

    /// <summary>The id of the <c>&lt;mode1&gt;</c> token, which starts a Mode 1 turn (needed with a <see cref="ModeHeadWeight"/>).</summary>
    public int? PlainModeToken { get; init; }

    /// <summary>The id of the <c>&lt;mode2&gt;</c> token, which starts a Mode 2 turn (needed with a <see cref="ModeHeadWeight"/>).</summary>
    public int? AgentModeToken { get; init; }

    /// <summary>Whether the model is trained with a mode head (<see cref="ModeHeadWeight"/> above 0).</summary>
    internal bool TrainsModeHead => ModeHeadWeight > 0f;

    /// <summary>Whether some positions' loss counts more than once (<see cref="TokenWeight"/> above 1 and some <see cref="WeightedTokens"/>).</summary>
    internal bool WeightsTokens => TokenWeight > 1 && WeightedTokens.Length > 0;

    /// <summary>The learning rate of update <paramref name="update"/> (0-based): linear warm-up, then cosine decay to the minimum.</summary>
    public float LearningRateAt(long update)
    {
        if (update < WarmupSteps)
        {
            return LearningRate * (update + 1) / WarmupSteps;
        }

        var decaySteps = Math.Max(1, MaxSteps - WarmupSteps);
        var progress = Math.Min(1.0, (double)(update - WarmupSteps) / decaySteps);
        return (float)(MinLearningRate + (0.5 * (LearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * progress))));
    }

    private static int Positive(int value, string name) => value >= 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");

    private static float PositiveFinite(float value, string name) =>
        value > 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and > 0.");
}
