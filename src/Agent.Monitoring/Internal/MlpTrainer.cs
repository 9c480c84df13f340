using System.Numerics.Tensors;

namespace Agent.Monitoring.Internal;

/// <summary>
/// Fits a head with one hidden layer of ReLU units on the same standardised features as <see cref="LogisticTrainer"/>:
/// full-batch Adam on the mean log-loss plus <c>l2/2</c> times the squared weights (biases are not decayed), Glorot-uniform
/// initialisation from the seed. Deterministic: the gradient is summed over the examples in order on one thread; only the
/// update, independent per hidden unit, runs in parallel.
/// </summary>
internal static class MlpTrainer
{
    public static LogisticHead Fit(string tag, ActionKind kind, IReadOnlyList<float[]> features, IReadOnlyList<bool> labels, int hidden, double l2, int seed, int epochs = 300, double learningRate = 0.003)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        var n = features.Count;
        var f = features[0].Length;
        var (mean, scale, xs) = LogisticTrainer.Standardise(features);
        var random = new Random(seed);
        var w1 = new float[hidden * f];
        var limit1 = Math.Sqrt(6.0 / (f + hidden));
        for (var i = 0; i < w1.Length; i++)
        {
            w1[i] = (float)(((random.NextDouble() * 2) - 1) * limit1);
        }

        var b1 = new float[hidden];
        var w2 = new float[hidden];
        var limit2 = Math.Sqrt(6.0 / (hidden + 1));
        for (var h = 0; h < hidden; h++)
        {
            w2[h] = (float)(((random.NextDouble() * 2) - 1) * limit2);
        }

        double b2 = 0, mb2 = 0, vb2 = 0;
        var g1 = new float[hidden * f];
        var m1 = new double[hidden * f];
        var v1 = new double[hidden * f];
        var gb1 = new double[hidden];
        var mb1 = new double[hidden];
        var vb1 = new double[hidden];
        var gw2 = new double[hidden];
        var mw2 = new double[hidden];
        var vw2 = new double[hidden];
        var a = new float[hidden];
        const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            Array.Clear(g1);
            Array.Clear(gb1);
            Array.Clear(gw2);
            double gb2 = 0;
            for (var i = 0; i < n; i++)
            {
                var z = b2;
                for (var h = 0; h < hidden; h++)
                {
                    a[h] = Math.Max(0f, b1[h] + TensorPrimitives.Dot<float>(xs[i], w1.AsSpan(h * f, f)));
                    z += a[h] * w2[h];
                }

                var error = (LogisticHead.Sigmoid(z) - (labels[i] ? 1 : 0)) / n;
                gb2 += error;
                for (var h = 0; h < hidden; h++)
                {
                    gw2[h] += error * a[h];
                    if (a[h] > 0)
                    {
                        var back = (float)(error * w2[h]);
                        var row = g1.AsSpan(h * f, f);
                        TensorPrimitives.MultiplyAdd(xs[i], back, row, row);
                        gb1[h] += back;
                    }
                }
            }

            var c1 = 1 - Math.Pow(beta1, epoch);
            var c2 = 1 - Math.Pow(beta2, epoch);
            Parallel.For(0, hidden, h =>
            {
                for (var j = h * f; j < (h + 1) * f; j++)
                {
                    w1[j] -= (float)Adam(ref m1[j], ref v1[j], g1[j] + (l2 * w1[j]), c1, c2, learningRate);
                }

                b1[h] -= (float)Adam(ref mb1[h], ref vb1[h], gb1[h], c1, c2, learningRate);
            });
            for (var h = 0; h < hidden; h++)
            {
                w2[h] -= (float)Adam(ref mw2[h], ref vw2[h], gw2[h] + (l2 * w2[h]), c1, c2, learningRate);
            }

            b2 -= Adam(ref mb2, ref vb2, gb2, c1, c2, learningRate);
        }

        return new LogisticHead(tag, kind, mean, scale, w1, b1, w2, (float)b2, 0.5, l2);

        static double Adam(ref double m, ref double v, double g, double c1, double c2, double rate)
        {
            m = (beta1 * m) + ((1 - beta1) * g);
            v = (beta2 * v) + ((1 - beta2) * g * g);
            return rate * (m / c1) / (Math.Sqrt(v / c2) + epsilon);
        }
    }
}
