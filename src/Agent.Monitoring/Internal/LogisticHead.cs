using System.Numerics.Tensors;

namespace Agent.Monitoring.Internal;

/// <summary>
/// A head on standardised features <c>x = (features - mean) * scale</c>: logistic regression,
/// p = sigmoid(b + w · x), or with a hidden layer of <see cref="Hidden"/> ReLU units,
/// p = sigmoid(b + w · relu(W1 x + b1)).
/// </summary>
internal sealed class LogisticHead
{
    public LogisticHead(string tag, ActionKind kind, float[] mean, float[] scale, float[] weights, float bias, double threshold, double l2)
        : this(tag, kind, mean, scale, null, null, weights, bias, threshold, l2)
    {
    }

    public LogisticHead(string tag, ActionKind kind, float[] mean, float[] scale, float[]? hiddenWeights, float[]? hiddenBias, float[] weights, float bias, double threshold, double l2)
    {
        if (scale.Length != mean.Length)
        {
            throw new ArgumentException("mean and scale must have one length.");
        }

        if ((hiddenWeights is null) != (hiddenBias is null))
        {
            throw new ArgumentException("a hidden layer needs both its weights and its bias.");
        }

        var inputs = hiddenBias?.Length ?? mean.Length;
        if (weights.Length != inputs || (hiddenWeights is not null && hiddenWeights.Length != hiddenBias!.Length * mean.Length))
        {
            throw new ArgumentException("the weights do not fit the features and the hidden layer.");
        }

        Tag = tag;
        Kind = kind;
        Mean = mean;
        Scale = scale;
        HiddenWeights = hiddenWeights;
        HiddenBias = hiddenBias;
        Weights = weights;
        Bias = bias;
        Threshold = threshold;
        L2 = l2;
    }

    public string Tag { get; }

    public ActionKind Kind { get; }

    public float[] Mean { get; }

    public float[] Scale { get; }

    /// <summary>The hidden layer's weights, row-major [<see cref="Hidden"/>, features]; null for logistic regression.</summary>
    public float[]? HiddenWeights { get; }

    /// <summary>The hidden layer's bias; null for logistic regression.</summary>
    public float[]? HiddenBias { get; }

    /// <summary>Hidden units; 0 for logistic regression.</summary>
    public int Hidden => HiddenBias?.Length ?? 0;

    /// <summary>The output weights: one per feature, or one per hidden unit.</summary>
    public float[] Weights { get; }

    public float Bias { get; }

    public double Threshold { get; }

    public double L2 { get; }

    public LogisticHead WithThreshold(double threshold) => new(Tag, Kind, Mean, Scale, HiddenWeights, HiddenBias, Weights, Bias, threshold, L2);

    public double Probability(ReadOnlySpan<float> features)
    {
        // A head of an older layout reads the prefix it was fitted on (later layouts only append features).
        features = features[..Mean.Length];
        Span<float> x = features.Length <= 4096 ? stackalloc float[features.Length] : new float[features.Length];
        TensorPrimitives.Subtract(features, Mean, x);
        TensorPrimitives.Multiply(x, Scale, x);
        if (HiddenWeights is null)
        {
            return Sigmoid(Bias + (double)TensorPrimitives.Dot<float>(x, Weights));
        }

        double z = Bias;
        var f = Mean.Length;
        for (var h = 0; h < HiddenBias!.Length; h++)
        {
            z += Math.Max(0f, HiddenBias[h] + TensorPrimitives.Dot<float>(x, HiddenWeights.AsSpan(h * f, f))) * Weights[h];
        }

        return Sigmoid(z);
    }

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
}
