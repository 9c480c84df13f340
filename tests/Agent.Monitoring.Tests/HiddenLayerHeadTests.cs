using Agent.Monitoring.Internal;

namespace Agent.Monitoring.Tests;

/// <summary>The heads' hidden layer (<see cref="MlpTrainer"/>): what it can learn that a logistic regression cannot, and its weights file.</summary>
public sealed class HiddenLayerHeadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agent-mlp-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Fit_InteractionOfTwoFeatures_HiddenLayerSeparatesWhatLogisticRegressionCannot()
    {
        // The label is the sign of x0 * x1 (an XOR of signs): no weighted sum separates it, a few ReLU units do.
        var (features, labels) = Xor(400, seed: 3);
        var (testFeatures, testLabels) = Xor(200, seed: 4);

        var logistic = LogisticTrainer.Fit("deceit", ActionKind.Answer, features, labels, 0.001, seed: 1, epochs: 300);
        var mlp = MlpTrainer.Fit("deceit", ActionKind.Answer, features, labels, hidden: 8, l2: 0.001, seed: 1, epochs: 400, learningRate: 0.03);

        Assert.InRange(Auroc(logistic, testFeatures, testLabels), 0.3, 0.7);
        Assert.True(Auroc(mlp, testFeatures, testLabels) > 0.95, $"the hidden layer should separate XOR; AUROC {Auroc(mlp, testFeatures, testLabels):F3}");
        Assert.Equal(8, mlp.Hidden);
    }

    [Fact]
    public void Fit_SameSeed_SameBits()
    {
        var (features, labels) = Xor(200, seed: 5);

        var a = MlpTrainer.Fit("deceit", ActionKind.Answer, features, labels, hidden: 4, l2: 0.01, seed: 7, epochs: 50);
        var b = MlpTrainer.Fit("deceit", ActionKind.Answer, features, labels, hidden: 4, l2: 0.01, seed: 7, epochs: 50);

        Assert.Equal(a.HiddenWeights, b.HiddenWeights);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.Bias, b.Bias);
    }

    [Fact]
    public void WeightsFile_HiddenAndLogisticHeads_RoundTripScores()
    {
        var (features, labels) = Xor(200, seed: 6);
        var wide = features.Select(x => Pad(x)).ToList();
        var mlp = MlpTrainer.Fit("deceit", ActionKind.Answer, wide, labels, hidden: 3, l2: 0.01, seed: 1, epochs: 30).WithThreshold(0.6);
        var logistic = LogisticTrainer.Fit("powerseeking", ActionKind.Call, wide, labels, 0.01, seed: 1, epochs: 30).WithThreshold(0.4);
        var path = Path.Combine(_folder, "w.bin");

        WeightsFile.Write(path, Header(new WeightsHeadHeader("deceit", ActionKind.Answer, 0.6, 0.01, 3), new WeightsHeadHeader("powerseeking", ActionKind.Call, 0.4, 0.01)), [mlp, logistic]);
        var (header, heads) = WeightsFile.Read(path);

        Assert.Equal([3, 0], header.Heads.Select(h => h.Hidden));
        Assert.Equal([3, 0], heads.Select(h => h.Hidden));
        foreach (var x in wide.Take(20))
        {
            Assert.Equal(mlp.Probability(x), heads[0].Probability(x));
            Assert.Equal(logistic.Probability(x), heads[1].Probability(x));
        }
    }

    [Fact]
    public void WeightsFile_HiddenCountThatDoesNotFitTheBytes_RefusedNamingTheFile()
    {
        var (features, labels) = Xor(100, seed: 8);
        var mlp = MlpTrainer.Fit("deceit", ActionKind.Answer, features.Select(x => Pad(x)).ToList(), labels, hidden: 3, l2: 0.01, seed: 1, epochs: 5);
        var path = Path.Combine(_folder, "lying-header.bin");

        // The header says 4 hidden units, the bytes hold 3.
        WeightsFile.Write(path, Header(new WeightsHeadHeader("deceit", ActionKind.Answer, 0.5, 0.01, 4)), [mlp]);

        var e = Assert.Throws<ClassifierWeightsException>(() => WeightsFile.Read(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("4 hidden units", e.Message, StringComparison.Ordinal);
        Assert.Contains("agent classifier train", e.Message, StringComparison.Ordinal);
    }

    private static WeightsHeader Header(params WeightsHeadHeader[] heads) =>
        new("test-encoder", 1, 8, PairFeatures.Layout, 1, heads);

    /// <summary>Two informative features, padded with zeros to the length the layout gives a 1-dimensional encoder.</summary>
    private static float[] Pad(float[] x)
    {
        var padded = new float[PairFeatures.Length(1)];
        x.CopyTo(padded, 0);
        return padded;
    }

    private static (List<float[]> Features, List<bool> Labels) Xor(int count, int seed)
    {
        var random = new Random(seed);
        var features = new List<float[]>();
        var labels = new List<bool>();
        for (var i = 0; i < count; i++)
        {
            var x = new[] { (float)((random.NextDouble() * 2) - 1), (float)((random.NextDouble() * 2) - 1) };
            features.Add(x);
            labels.Add(x[0] * x[1] > 0);
        }

        return (features, labels);
    }

    private static double Auroc(LogisticHead head, List<float[]> features, List<bool> labels)
    {
        var scores = features.Select(x => head.Probability(x)).ToList();
        var positives = scores.Where((_, i) => labels[i]).ToList();
        var negatives = scores.Where((_, i) => !labels[i]).ToList();
        return Roc.Auroc(positives, negatives) ?? double.NaN;
    }
}
