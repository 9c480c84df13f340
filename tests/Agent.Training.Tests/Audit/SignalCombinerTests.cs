using Agent.Training.Audit;
using Agent.Training.Evaluation;

namespace Agent.Training.Tests.Audit;

public sealed class SignalCombinerTests
{
    // Positives need both signals at once: neither alone separates them, their sum does (the shape of the two signals'
    // complementary errors).
    private static (double[] Model, double[] Classifier, bool[] Labels) Toy(int seed, int count)
    {
        var random = new Random(seed);
        var model = new double[count];
        var classifier = new double[count];
        var labels = new bool[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2 == 0;
            double a = (random.NextDouble() * 6) - 3;
            double b = (labels[i] ? 1.0 : -1.0) - a + ((random.NextDouble() - 0.5) * 0.5);
            model[i] = 1 / (1 + Math.Exp(-a));
            classifier[i] = 1 / (1 + Math.Exp(-b));
        }

        return (model, classifier, labels);
    }

    [Fact]
    public void Fit_OnValidationLikeData_RanksASeparableHeldOutSetPerfectlyWhereNeitherSignalAloneDoes()
    {
        var (fitModel, fitClassifier, fitLabels) = Toy(1, 400);
        var (model, classifier, labels) = Toy(2, 200);

        var combiner = SignalCombiner.Fit(fitModel, fitClassifier, fitLabels);

        var scores = model.Select((m, i) => combiner.Score(m, classifier[i])).ToArray();
        Assert.Equal(1.0, Auroc.Compute([.. scores.Where((_, i) => labels[i])], [.. scores.Where((_, i) => !labels[i])]));
        Assert.True(Auroc.Compute([.. model.Where((_, i) => labels[i])], [.. model.Where((_, i) => !labels[i])]) < 0.9);
        Assert.True(Auroc.Compute([.. classifier.Where((_, i) => labels[i])], [.. classifier.Where((_, i) => !labels[i])]) < 0.9);
        Assert.True(combiner.ModelWeight > 0 && combiner.ClassifierWeight > 0, combiner.ToString());
    }

    [Fact]
    public void Fit_SameData_SameWeights()
    {
        var (model, classifier, labels) = Toy(3, 100);

        Assert.Equal(SignalCombiner.Fit(model, classifier, labels), SignalCombiner.Fit(model, classifier, labels));
    }

    [Fact]
    public void Fit_PerfectlySeparatedAndExtremeProbabilities_FiniteWeights()
    {
        double[] model = [0, 1e-30, 1e-20, 1, 1 - 1e-16, 0.9];
        double[] classifier = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9];
        bool[] labels = [false, false, false, true, true, true];

        var combiner = SignalCombiner.Fit(model, classifier, labels);

        Assert.True(double.IsFinite(combiner.Intercept) && double.IsFinite(combiner.ModelWeight) && double.IsFinite(combiner.ClassifierWeight), combiner.ToString());
        Assert.True(combiner.Score(1, 0.9) > combiner.Score(0, 0.1));
    }

    [Fact]
    public void Fit_OneClass_Refused()
    {
        Assert.Throws<ArgumentException>(() => SignalCombiner.Fit([0.1, 0.2], [0.3, 0.4], [true, true]));
    }

    [Fact]
    public void Build_HeldOutFit_CombinedRowsPerGroupAndGateFlagsAsGiven()
    {
        static SignalSpan Span(string group, bool label, double model, double classifier, bool gate) =>
            new("deceit", group, label, model, model >= 0.5, classifier, classifier >= 0.5, gate);
        var (fm, fc, fl) = Toy(4, 200);
        var fit = fm.Select((m, i) => Span("after-failure", fl[i], m, fc[i], false)).ToList();
        var (m2, c2, l2) = Toy(5, 100);
        var audited = m2.Select((m, i) => Span(i < 50 ? "after-failure" : "denial", l2[i], m, c2[i], gate: l2[i] && i % 4 == 0)).ToList();

        var report = SignalMeasures.Build("split test", audited, "split validation", fit);

        Assert.Equal("split validation", report.FitOn);
        Assert.Single(report.Combiners);
        Assert.Equal(["split test", "split validation"], report.Tables.Select(t => t.Source));
        Assert.False(report.Tables[0].CombinerInSample);
        Assert.True(report.Tables[1].CombinerInSample);
        var rows = report.Tables[0].Rows;
        Assert.Equal(["all", "after-failure", "denial"], rows.Select(r => r.Group));
        Assert.All(rows, r => Assert.Equal(1.0, r.Combined.Auroc));
        Assert.All(rows, r => Assert.Equal(1.0, r.Combined.RecallAt2PercentFpr));
        Assert.Equal(0.5, rows[0].Combined.Recall);
        Assert.Equal(0.0, rows[0].Combined.FalsePositiveRate);
        Assert.True(rows[0].CombinerFalsePositiveRate <= 0.02);
    }

    [Fact]
    public void Build_NoFitSpansOneGroup_InSampleAndOnlyTheAllRow()
    {
        var (model, classifier, labels) = Toy(6, 40);
        var spans = model.Select((m, i) => new SignalSpan("powerseeking", "corpus", labels[i], m, m >= 0.5, classifier[i], classifier[i] >= 0.5, m >= 0.5)).ToList();

        var report = SignalMeasures.Build("corpus DIR", spans, null, null);

        Assert.Contains("in-sample", report.FitOn, StringComparison.Ordinal);
        var table = Assert.Single(report.Tables);
        Assert.True(table.CombinerInSample);
        Assert.Equal("all", Assert.Single(table.Rows).Group);
    }
}
