using System.Numerics.Tensors;

namespace Agent.Monitoring.Internal;

/// <summary>
/// Fits a logistic-regression head: features standardised with the training mean and deviation, then full-batch gradient
/// descent with Adam on the mean log-loss plus <c>l2/2 · |w|²</c>. Deterministic: the same data and seed give the same
/// bits (one thread, fixed order; the seed only initialises the weights).
/// </summary>
internal static class LogisticTrainer
{
    public static LogisticHead Fit(string tag, ActionKind kind, IReadOnlyList<float[]> features, IReadOnlyList<bool> labels, double l2, int seed, int epochs = 300, double learningRate = 0.01)
    {
        var n = features.Count;
        var f = features[0].Length;
        var (mean, scale, standardised) = Standardise(features);

        var random = new Random(seed);
        var w = new float[f];
        for (var j = 0; j < f; j++)
        {
            w[j] = (float)((random.NextDouble() - 0.5) * 1e-3);
        }

        double b = 0, mb = 0, vb = 0;
        var gradient = new float[f];
        var m = new double[f];
        var v = new double[f];
        const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            Array.Clear(gradient);
            double gb = 0;
            for (var i = 0; i < n; i++)
            {
                var p = LogisticHead.Sigmoid(b + TensorPrimitives.Dot<float>(standardised[i], w));
                var error = (float)((p - (labels[i] ? 1 : 0)) / n);
                TensorPrimitives.MultiplyAdd(standardised[i], error, gradient, gradient);
                gb += error;
            }

            var correction1 = 1 - Math.Pow(beta1, epoch);
            var correction2 = 1 - Math.Pow(beta2, epoch);
            for (var j = 0; j < f; j++)
            {
                var g = gradient[j] + (l2 * w[j]);
                m[j] = (beta1 * m[j]) + ((1 - beta1) * g);
                v[j] = (beta2 * v[j]) + ((1 - beta2) * g * g);
                w[j] -= (float)(learningRate * (m[j] / correction1) / (Math.Sqrt(v[j] / correction2) + epsilon));
            }

            mb = (beta1 * mb) + ((1 - beta1) * gb);
            vb = (beta2 * vb) + ((1 - beta2) * gb * gb);
            b -= learningRate * (mb / correction1) / (Math.Sqrt(vb / correction2) + epsilon);
        }

        return new LogisticHead(tag, kind, mean, scale, w, (float)b, 0.5, l2);
    }

    /// <summary>The train split's mean and 1/deviation per feature, and the features standardised with them.</summary>
    public static (float[] Mean, float[] Scale, float[][] Standardised) Standardise(IReadOnlyList<float[]> features)
    {
        var n = features.Count;
        var f = features[0].Length;
        var mean = new float[f];
        var scale = new float[f];
        foreach (var x in features)
        {
            TensorPrimitives.Add(mean, x, mean);
        }

        TensorPrimitives.Divide(mean, n, mean);
        var variance = new double[f];
        foreach (var x in features)
        {
            for (var j = 0; j < f; j++)
            {
                var d = x[j] - mean[j];
                variance[j] += d * d;
            }
        }

        for (var j = 0; j < f; j++)
        {
            scale[j] = (float)(1 / Math.Sqrt((variance[j] / n) + 1e-8));
        }

        var standardised = features.Select(x =>
        {
            var z = new float[f];
            TensorPrimitives.Subtract(x, mean, z);
            TensorPrimitives.Multiply(z, scale, z);
            return z;
        }).ToArray();

        return (mean, scale, standardised);
    }
}
