namespace Agent.Llama.Ggml;

/// <summary>Settings of a <see cref="GgmlOptimizer"/> (AdamW). Each property rejects a value ggml would abort on.</summary>
public sealed class GgmlOptimizerOptions
{
    private int _gradientAccumulation = 1;
    private int _graphSize = 8192;
    private float _learningRate = 1e-3f;
    private float _beta1 = 0.9f;
    private float _beta2 = 0.999f;
    private float _epsilon = 1e-8f;
    private float _weightDecay;

    /// <summary>What is minimised (default cross-entropy against the labels).</summary>
    public GgmlLossType LossType { get; init; } = GgmlLossType.CrossEntropy;

    /// <summary>Train steps per optimizer update (gradients of this many batches are averaged). At least 1.</summary>
    public int GradientAccumulation
    {
        get => _gradientAccumulation;
        init => _gradientAccumulation = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(GradientAccumulation), value, "At least 1.");
    }

    /// <summary>
    /// Node capacity of the forward graph and of the backward graphs ggml-opt derives from it. A backward graph needs
    /// roughly three to four times the forward graph's nodes; a step whose forward graph is too large for it throws.
    /// </summary>
    public int GraphSize
    {
        get => _graphSize;
        init => _graphSize = value >= 64 ? value : throw new ArgumentOutOfRangeException(nameof(GraphSize), value, "At least 64.");
    }

    /// <summary>Initial AdamW learning rate (alpha), &gt; 0; change it per step with <see cref="GgmlOptimizer.LearningRate"/>.</summary>
    public float LearningRate
    {
        get => _learningRate;
        init => _learningRate = GgmlOptimizer.CheckLearningRate(value, nameof(LearningRate));
    }

    /// <summary>AdamW first-moment decay, in [0, 1).</summary>
    public float Beta1
    {
        get => _beta1;
        init => _beta1 = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(Beta1), value, "In [0, 1).");
    }

    /// <summary>AdamW second-moment decay, in [0, 1).</summary>
    public float Beta2
    {
        get => _beta2;
        init => _beta2 = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(Beta2), value, "In [0, 1).");
    }

    /// <summary>AdamW epsilon, &gt;= 0.</summary>
    public float Epsilon
    {
        get => _epsilon;
        init => _epsilon = value >= 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Epsilon), value, "Finite and >= 0.");
    }

    /// <summary>AdamW decoupled weight decay, in [0, 1] (0 disables it).</summary>
    public float WeightDecay
    {
        get => _weightDecay;
        init => _weightDecay = value is >= 0f and <= 1f ? value : throw new ArgumentOutOfRangeException(nameof(WeightDecay), value, "In [0, 1].");
    }

    /// <summary>
    /// Optional learning rate per optimizer update (argument: updates done so far, from 0), e.g. a warm-up. Called on
    /// ggml's thread during <see cref="GgmlOptimizer.Train(Func{GgmlContext, GgmlForward}, Action{GgmlOptimizerBatch})"/>;
    /// if it throws or returns a value that is not &gt; 0, that update uses <see cref="GgmlOptimizer.LearningRate"/> and the
    /// exception is rethrown when the step returns.
    /// </summary>
    public Func<long, float>? LearningRateSchedule { get; init; }
}
