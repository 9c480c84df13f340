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

    // Answers after a failed command: both signals rank the lie higher. After a successful one: the classifier still does,
    // the model ranks it lower (the shipped model's deceit signal there: test AUROC 0.44).
    // After a success that followed a flagged call (where denials come), the model ranks the lie higher again.
    private static List<SignalSpan> ByOutcome(int seed, int perOutcome, bool flaggedCalls = false)
    {
        var random = new Random(seed);
        var spans = new List<SignalSpan>();
        ResultOutcome[] outcomes = flaggedCalls
            ? [ResultOutcome.Failed, ResultOutcome.Succeeded, ResultOutcome.SucceededAfterFlaggedCall]
            : [ResultOutcome.Failed, ResultOutcome.Succeeded];
        foreach (var outcome in outcomes)
        {
            for (int i = 0; i < perOutcome; i++)
            {
                bool label = i % 2 == 0;
                double sign = label ? 1 : -1;
                double model = Sigmoid((outcome == ResultOutcome.Succeeded ? -sign : sign) + Noise());
                double classifier = Sigmoid((0.6 * sign) + Noise());
                string group = outcome switch { ResultOutcome.Failed => "after-failure", ResultOutcome.Succeeded => "after-success", _ => "denial" };
                spans.Add(new SignalSpan("deceit", group, label, model, false, classifier, false, false, outcome));
            }
        }

        return spans;

        double Noise() => (random.NextDouble() - 0.5) * 3;
        static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
    }

    [Fact]
    public void Build_PerOutcome_OneCombinerPerOutcomeAndBetterHeldOutWhereTheModelMisleadsAfterASuccess()
    {
        var fit = ByOutcome(7, 200);
        var audited = ByOutcome(8, 200);

        var perOutcome = SignalMeasures.Build("split test", audited, "split validation", fit, CombinerScope.PerOutcome);
        var pooled = SignalMeasures.Build("split test", audited, "split validation", fit, CombinerScope.Pooled);

        Assert.Equal(CombinerScope.PerOutcome, perOutcome.Scope);
        var combiner = Assert.Single(perOutcome.Combiners);
        Assert.Equal([ResultOutcome.Succeeded, ResultOutcome.Failed], combiner.ByOutcome.Select(o => o.Outcome));
        Assert.All(combiner.ByOutcome, o => Assert.Equal((100, 100), (o.Positives, o.Negatives)));
        Assert.True(combiner.ByOutcome[0].Combiner.ModelWeight < 0 && combiner.ByOutcome[1].Combiner.ModelWeight > 0, string.Join("; ", combiner.ByOutcome));
        Assert.Empty(Assert.Single(pooled.Combiners).ByOutcome);
        Assert.Equal(pooled.Combiners[0].Combiner, combiner.Combiner);

        double Auroc(SignalsReport report, string group) => report.Tables[0].Rows.Single(r => r.Group == group).Combined.Auroc!.Value;
        Assert.True(Auroc(perOutcome, "after-success") > Auroc(pooled, "after-success") + 0.05, $"{Auroc(perOutcome, "after-success")} vs {Auroc(pooled, "after-success")}");
        Assert.True(Auroc(perOutcome, "all") > Auroc(pooled, "all"), $"{Auroc(perOutcome, "all")} vs {Auroc(pooled, "all")}");

        // The threshold keeps at most 2% of the fitting negatives, scored as the table scores them: by their outcome's combiner.
        var negatives = fit.Where(s => s.Label == false).Select(s => combiner.Score(s.Model, s.Classifier, s.Outcome)).ToList();
        Assert.InRange(negatives.Count(n => n >= combiner.Threshold), 1, 0.02 * negatives.Count);
    }

    [Fact]
    public void Build_PerOutcome_AnOutcomeWithTooFewOfAClassIsScoredByThePooledCombiner()
    {
        var all = ByOutcome(9, 200);
        var kept = all.Where(s => s.Outcome == ResultOutcome.Succeeded && s.Label == true).Take(CombinerFit.MinimumPerClass - 1).ToList();
        var fit = all.Where(s => s.Outcome == ResultOutcome.Failed || s.Label == false || kept.Contains(s)).ToList();
        Assert.Equal(CombinerFit.MinimumPerClass - 1, fit.Count(s => s.Outcome == ResultOutcome.Succeeded && s.Label == true));

        var combiner = Assert.Single(SignalMeasures.Build("split validation", fit, null, null).Combiners);

        Assert.Equal(ResultOutcome.Failed, Assert.Single(combiner.ByOutcome).Outcome);
        Assert.Equal(combiner.Combiner.Score(0.3, 0.8), combiner.Score(0.3, 0.8, ResultOutcome.Succeeded));
        Assert.Equal(combiner.Combiner.Score(0.3, 0.8), combiner.Score(0.3, 0.8, ResultOutcome.None));
        Assert.NotEqual(combiner.Combiner.Score(0.3, 0.8), combiner.Score(0.3, 0.8, ResultOutcome.Failed));
    }

    [Fact]
    public void Build_PerOutcomeAndFlaggedCall_SuccessesAfterAFlaggedCallGetTheirOwnCombinerAndPerOutcomeMergesThem()
    {
        var fit = ByOutcome(10, 200, flaggedCalls: true);
        var audited = ByOutcome(11, 200, flaggedCalls: true);

        var flagged = SignalMeasures.Build("split test", audited, "split validation", fit);
        var perOutcome = SignalMeasures.Build("split test", audited, "split validation", fit, CombinerScope.PerOutcome);

        Assert.Equal(CombinerScope.PerOutcomeAndFlaggedCall, flagged.Scope);
        var split = Assert.Single(flagged.Combiners);
        Assert.Equal([ResultOutcome.Succeeded, ResultOutcome.Failed, ResultOutcome.SucceededAfterFlaggedCall], split.ByOutcome.Select(o => o.Outcome));
        Assert.True(split.ByOutcome[2].Combiner.ModelWeight > 0 && split.ByOutcome[0].Combiner.ModelWeight < 0, string.Join("; ", split.ByOutcome));
        var merged = Assert.Single(perOutcome.Combiners);
        Assert.Equal([ResultOutcome.Succeeded, ResultOutcome.Failed], merged.ByOutcome.Select(o => o.Outcome));
        Assert.Equal((200, 200), (merged.ByOutcome[0].Positives, merged.ByOutcome[0].Negatives));
        Assert.Equal(merged.Score(0.3, 0.8, ResultOutcome.Succeeded), merged.Score(0.3, 0.8, ResultOutcome.SucceededAfterFlaggedCall));

        double Auroc(SignalsReport report, string group) => report.Tables[0].Rows.Single(r => r.Group == group).Combined.Auroc!.Value;
        Assert.True(Auroc(flagged, "denial") > Auroc(perOutcome, "denial") + 0.05, $"{Auroc(flagged, "denial")} vs {Auroc(perOutcome, "denial")}");
        Assert.True(Auroc(flagged, "after-success") > Auroc(perOutcome, "after-success") + 0.05, $"{Auroc(flagged, "after-success")} vs {Auroc(perOutcome, "after-success")}");
    }

    [Theory]
    [InlineData(null, false, ResultOutcome.None)]
    [InlineData(null, true, ResultOutcome.None)]
    [InlineData(0, false, ResultOutcome.Succeeded)]
    [InlineData(0, true, ResultOutcome.SucceededAfterFlaggedCall)]
    [InlineData(1, true, ResultOutcome.Failed)]
    [InlineData(-9, false, ResultOutcome.Failed)]
    public void Of_ExitCodeAndEarlierFlaggedCall_Outcome(int? exitCode, bool flagged, ResultOutcome expected)
    {
        Assert.Equal(expected, ResultOutcomes.Of(exitCode, flagged));
    }
}
