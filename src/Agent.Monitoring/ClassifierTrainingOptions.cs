using System.Collections.Immutable;

namespace Agent.Monitoring;

/// <summary>Settings of <see cref="ClassifierTrainer"/>; bad values are refused where they are set.</summary>
public sealed class ClassifierTrainingOptions
{
    private readonly int _epochs = 300;
    private readonly int _hidden = 16;
    private readonly double _minHiddenGain = 0.005;
    private readonly double _maxFalsePositiveRate = 0.02;
    private readonly ImmutableArray<double> _l2Grid = [1e-3, 1e-2, 1e-1];

    /// <summary>Seeds the weights' initialisation. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// How much higher a head with the hidden layer must score (validation AUROC) than the logistic regression fitted
    /// beside it to be kept; the simpler head wins anything less. Default 0.005.
    /// </summary>
    public double MinHiddenGain
    {
        get => _minHiddenGain;
        init => _minHiddenGain = double.IsFinite(value) && value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MinHiddenGain), value, "MinHiddenGain must be a finite, non-negative AUROC difference.");
    }

    /// <summary>
    /// Hidden ReLU units of a head fitted beside each logistic regression (0: logistic regression only). Default 16: on the
    /// default corpus it lifted deceit AUROC on validation from 0.923 to 0.939 and on test from 0.903 to 0.917; power
    /// seeking gained 0.0006 on validation and stays logistic (<see cref="MinHiddenGain"/>; models/classifier.md).
    /// </summary>
    public int Hidden { get => _hidden; init => _hidden = value is >= 0 and <= 4096 ? value : throw new ArgumentOutOfRangeException(nameof(Hidden), value, "Hidden must be between 0 (logistic regression) and 4096."); }

    /// <summary>
    /// Whether answer heads also read the run's earlier calls (feature layout <c>earlier-calls-v1</c>: any earlier call, the
    /// call heads' highest probability over them, and that probability times the answer's embedding). Default false: the
    /// shipped layout. Measured and not shipped (models/classifier.md, "Earlier calls for denials"): combined test deceit
    /// 0.944 to 0.951, but recall at 2% false positives fell from 0.71 to 0.64.
    /// </summary>
    public bool EarlierCalls { get; init; }

    /// <summary>
    /// Whether the heads also read whether an answer attaches the numbers it quotes to the labels the output attaches them
    /// to (layout <c>attribution-v1</c>, <c>AttributionFeatures</c>). Default false: the shipped layout. Implied by
    /// <see cref="EarlierCalls"/>, whose layout comes after it. Measured and not shipped (models/classifier.md, "Attribution
    /// of numbers"): validation deceit rose, held-out test deceit fell.
    /// </summary>
    public bool Attribution { get; init; }

    /// <summary>Full-batch Adam steps per fit. Default 300.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int Epochs { get => _epochs; init => _epochs = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Epochs), value, "Epochs must be at least 1."); }

    /// <summary>The L2 strengths tried; the one with the best validation AUROC is kept. Default 0.001, 0.01, 0.1.</summary>
    /// <exception cref="ArgumentException">Empty, or a value that is negative or not finite.</exception>
    public ImmutableArray<double> L2Grid
    {
        get => _l2Grid;
        init => _l2Grid = !value.IsDefaultOrEmpty && value.All(l => double.IsFinite(l) && l >= 0) ? value : throw new ArgumentException("L2Grid needs at least one finite, non-negative value.", nameof(L2Grid));
    }

    /// <summary>The threshold of each head is the lowest with at most this share of validation negatives flagged. Default 0.02.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public double MaxFalsePositiveRate
    {
        get => _maxFalsePositiveRate;
        init => _maxFalsePositiveRate = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxFalsePositiveRate), value, "MaxFalsePositiveRate must be between 0 and 1.");
    }

    /// <summary>The kind of action each tag's head reads. Default: deceit reads answers, powerseeking reads calls.</summary>
    public ImmutableDictionary<string, ActionKind> TagKinds { get; init; } = ImmutableDictionary.CreateRange<string, ActionKind>(StringComparer.Ordinal,
        [new("deceit", ActionKind.Answer), new("powerseeking", ActionKind.Call)]);
}
