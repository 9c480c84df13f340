using Agent.Monitoring;

namespace Agent.Training.Audit;

/// <summary>
/// One score from the two signals of a tag: a logistic regression on <c>[logit(model temptation), logit(classifier p)]</c>
/// (each probability clipped to [1e-12, 1 - 1e-12] first; the score is <see cref="SignalCombination.Score"/>, the formula the gate reads), fitted by Newton's method with a small ridge on the two weights
/// (features standardised on the fitting data), so it is deterministic and finite even on separable data. It is fitted on
/// one set of labelled spans (validation) and then scores others (test): its figures on the fitting set are in-sample.
/// </summary>
/// <param name="Intercept">The bias, on the raw (unstandardised) logits.</param>
/// <param name="ModelWeight">The weight of logit(model temptation).</param>
/// <param name="ClassifierWeight">The weight of logit(classifier p).</param>
public sealed record SignalCombiner(double Intercept, double ModelWeight, double ClassifierWeight)
{
    private const double Ridge = 1e-2;
    private const int MaxIterations = 100;

    /// <summary>The combined score in (0, 1): higher is more likely the behaviour.</summary>
    /// <param name="model">The model's temptation, at the aggregate the policy reads.</param>
    /// <param name="classifier">The classifier's probability.</param>
    public double Score(double model, double classifier) => SignalCombination.Score(Intercept, ModelWeight, ClassifierWeight, model, classifier);

    /// <summary>Fits the combiner to labelled pairs of signals.</summary>
    /// <param name="model">The model's temptation per span.</param>
    /// <param name="classifier">The classifier's probability per span.</param>
    /// <param name="labels">Whether each span shows the behaviour.</param>
    /// <exception cref="ArgumentException">The lists differ in length, or the labels are not of both classes.</exception>
    public static SignalCombiner Fit(IReadOnlyList<double> model, IReadOnlyList<double> classifier, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(labels);
        int n = labels.Count;
        if (model.Count != n || classifier.Count != n)
        {
            throw new ArgumentException($"The signals and labels differ in length ({model.Count}, {classifier.Count}, {n}).");
        }

        if (!labels.Contains(true) || !labels.Contains(false))
        {
            throw new ArgumentException("A combiner needs spans of both classes to fit.");
        }

        var x = new double[n, 2];
        for (int i = 0; i < n; i++)
        {
            x[i, 0] = Logit(model[i]);
            x[i, 1] = Logit(classifier[i]);
        }

        var mean = new double[2];
        var sd = new double[2];
        for (int j = 0; j < 2; j++)
        {
            for (int i = 0; i < n; i++)
            {
                mean[j] += x[i, j] / n;
            }

            for (int i = 0; i < n; i++)
            {
                sd[j] += (x[i, j] - mean[j]) * (x[i, j] - mean[j]) / n;
            }

            sd[j] = Math.Sqrt(sd[j]) is var s && s > 1e-12 ? s : 1;
            for (int i = 0; i < n; i++)
            {
                x[i, j] = (x[i, j] - mean[j]) / sd[j];
            }
        }

        // Newton's method on the mean log-loss plus Ridge/2 * |w|^2 (the bias is not penalised): w = (b, w1, w2).
        var w = new double[3];
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            var gradient = new double[3];
            var hessian = new double[3, 3];
            for (int i = 0; i < n; i++)
            {
                double[] row = [1, x[i, 0], x[i, 1]];
                double z = w[0] + (w[1] * row[1]) + (w[2] * row[2]);
                double p = 1 / (1 + Math.Exp(-z));
                double error = p - (labels[i] ? 1 : 0);
                double weight = Math.Max(p * (1 - p), 1e-12);
                for (int a = 0; a < 3; a++)
                {
                    gradient[a] += error * row[a] / n;
                    for (int b = 0; b < 3; b++)
                    {
                        hessian[a, b] += weight * row[a] * row[b] / n;
                    }
                }
            }

            for (int a = 1; a < 3; a++)
            {
                gradient[a] += Ridge * w[a];
                hessian[a, a] += Ridge;
            }

            var step = Solve(hessian, gradient);
            double largest = 0;
            for (int a = 0; a < 3; a++)
            {
                w[a] -= step[a];
                largest = Math.Max(largest, Math.Abs(step[a]));
            }

            if (largest < 1e-10)
            {
                break;
            }
        }

        // Back to the raw logits: z = b + sum_j w_j (x_j - mean_j) / sd_j.
        double modelWeight = w[1] / sd[0], classifierWeight = w[2] / sd[1];
        return new SignalCombiner(w[0] - (modelWeight * mean[0]) - (classifierWeight * mean[1]), modelWeight, classifierWeight);
    }

    private static double Logit(double p) => SignalCombination.Logit(p);

    /// <summary>Solves the 3x3 system a x = b by Gaussian elimination with partial pivoting (a is positive definite here).</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        const int size = 3;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (int col = 0; col < size; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < size; r++)
            {
                if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col]))
                {
                    pivot = r;
                }
            }

            for (int c = 0; c < size; c++)
            {
                (m[col, c], m[pivot, c]) = (m[pivot, c], m[col, c]);
            }

            (v[col], v[pivot]) = (v[pivot], v[col]);
            for (int r = col + 1; r < size; r++)
            {
                double factor = m[r, col] / m[col, col];
                for (int c = col; c < size; c++)
                {
                    m[r, c] -= factor * m[col, c];
                }

                v[r] -= factor * v[col];
            }
        }

        var result = new double[size];
        for (int r = size - 1; r >= 0; r--)
        {
            double sum = v[r];
            for (int c = r + 1; c < size; c++)
            {
                sum -= m[r, c] * result[c];
            }

            result[r] = sum / m[r, r];
        }

        return result;
    }
}
