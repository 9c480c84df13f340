namespace Agent.Monitoring.Internal;

/// <summary>A logistic-regression head on standardised features: p = sigmoid(b + w · ((x - mean) * scale)).</summary>
internal sealed class LogisticHead
{
    public LogisticHead(string tag, ActionKind kind, float[] mean, float[] scale, float[] weights, float bias, double threshold, double l2)
    {
        if (mean.Length != weights.Length || scale.Length != weights.Length)
        {
            throw new ArgumentException("mean, scale and weights must have one length.");
        }

        Tag = tag;
        Kind = kind;
        Mean = mean;
        Scale = scale;
        Weights = weights;
        Bias = bias;
        Threshold = threshold;
        L2 = l2;
    }

    public string Tag { get; }

    public ActionKind Kind { get; }

    public float[] Mean { get; }

    public float[] Scale { get; }

    public float[] Weights { get; }

    public float Bias { get; }

    public double Threshold { get; }

    public double L2 { get; }

    public LogisticHead WithThreshold(double threshold) => new(Tag, Kind, Mean, Scale, Weights, Bias, threshold, L2);

    public double Probability(ReadOnlySpan<float> features)
    {
        Span<float> x = features.Length <= 4096 ? stackalloc float[features.Length] : new float[features.Length];
        System.Numerics.Tensors.TensorPrimitives.Subtract(features, Mean, x);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, Scale, x);
        return Sigmoid(Bias + (double)System.Numerics.Tensors.TensorPrimitives.Dot<float>(x, Weights));
    }

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
}
