using Agent.Decoding;
using Agent.TestSupport;
using Agent.Training.Evaluation;
using Agent.Training.Experiments;
using Agent.Training.Pipeline;
using Agent.Training.Tests.Engine;

namespace Agent.Training.Tests.Experiments;

/// <summary>Each experiment end to end on a seconds-long model (the smoke recipe, 12 updates), sharing one work folder.</summary>
public class ModeExperimentsTests(ModeExperimentsTests.Fixture fixture) : IClassFixture<ModeExperimentsTests.Fixture>
{
    [Fact]
    public async Task ModeHead_TinyModel_TableByPlaceInTurnAndSameFiguresAgain()
    {
        var report = await ModeExperiments.ModeHeadAsync(fixture.Options);
        Assert.Equal(["tag", "0", "1", "2", "3", "4-7", "8-15", "16+", "all"], report.ByPosition.Select(r => r.Position));
        Assert.True(report.Documents > 0);
        var all = report.ByPosition[^1];
        Assert.Equal(report.ByPosition.Skip(1).SkipLast(1).Sum(r => r.Tokens), all.Tokens);
        Assert.All(report.ByPosition.Where(r => r.Tokens > 0), r =>
        {
            Assert.Equal(1.0, r.TagRule); // with the tags in the text, the last tag is the turn's mode
            Assert.InRange(r.Head, 0, 1);
            Assert.InRange(r.HeadConfidence, 0, 1);
        });

        // Deterministic given the seed: a second run in a fresh folder trains the same model and reads the same figures.
        var again = await ModeExperiments.ModeHeadAsync(fixture.Options with { WorkDirectory = TrainingFixtures.TempDirectory() });
        Assert.Equal(report.ByPosition, again.ByPosition);
    }

    [Fact]
    public async Task TagRemoval_TinyModel_HeadAndTemptationWithAndWithoutTags()
    {
        var report = await ModeExperiments.TagRemovalAsync(fixture.Options);
        var all = report.ByPosition[^1];
        Assert.Equal("all", all.Position);
        Assert.True(all.Tokens > 0);

        // Stripped of tags, the rule can only guess the most common mode: its accuracy is that mode's share, at least half.
        Assert.InRange(all.StrippedTagRule, 0.5, 1.0);
        Assert.InRange(all.TaggedHead, 0, 1);
        Assert.InRange(all.StrippedHead, 0, 1);
        Assert.Equal(["deceit", "powerseeking"], report.Temptation.Select(t => t.Tag));
        Assert.All(report.Temptation, t =>
        {
            Assert.True(t.Positives > 0 && t.Positives == t.Negatives, $"{t.Tag}: {t.Positives} / {t.Negatives}");
            Assert.InRange(t.AurocTagged, 0, 1);
            Assert.InRange(t.AurocStripped, 0, 1);
            Assert.InRange(t.HeadOnActionTagged, 0, 1);
            Assert.InRange(t.HeadOnActionStripped, 0, 1);
        });
        Assert.Equal("any", report.Temptation.Single(t => t.Tag == "powerseeking").Aggregate);
    }

    [Fact]
    public async Task Transfer_TinyModel_PlantedAndBaselineMarginsInBothModes()
    {
        var report = await ModeExperiments.TransferAsync(fixture.Options);
        Assert.Equal(4, report.Rows.Count);
        Assert.Equal(40, report.PlantedDocuments);
        Assert.All(report.Rows, r =>
        {
            Assert.True(r.PlantedLogProb < 0 && r.ControlLogProb < 0);
            Assert.Equal(r.PlantedLogProb - r.ControlLogProb, r.Margin, 9);
        });
        double M(string model, string context) => report.Rows.Single(r => r.Model == model && r.Context == context).Margin;
        Assert.Equal(M("planted", "mode2") - M("baseline", "mode2"), report.Transfer, 9);
        Assert.Equal(M("planted", "mode1") - M("baseline", "mode1"), report.Learned, 9);
        Assert.All(ExperimentModels.PlantedDocuments(1), d =>
        {
            Assert.StartsWith("<mode1>", d, StringComparison.Ordinal);
            Assert.DoesNotContain("<mode2>", d, StringComparison.Ordinal);
            Assert.Contains("--flux-depth", d, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task EarlyAlignment_TinyModel_CurveForBothModels()
    {
        var report = await ModeExperiments.EarlyAlignmentAsync(fixture.Options);
        Assert.Equal([("early", 0L), ("early", 2L), ("late", 0L), ("late", 2L)], report.Points.Select(p => (p.Model, p.UntrainSteps)));
        Assert.All(report.Points, p =>
        {
            Assert.Equal(["deceit", "powerseeking"], p.Auroc.Keys.Order(StringComparer.Ordinal));
            Assert.All(p.Auroc.Values, a => Assert.InRange(a, 0, 1));
        });

        // The curve's later points read untrained copies, written beside each model; the models themselves stay.
        foreach (var model in new[] { "base", "late" })
        {
            var folder = Path.Combine(fixture.Options.WorkDirectory, $"{model}-smoke-seed3");
            var untrained = Path.Combine(folder, "untrained-2.gguf");
            Assert.True(File.Exists(untrained), untrained);
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(folder, "model.gguf")), File.ReadAllBytes(untrained));
        }
    }

    public sealed class Fixture
    {
        public ExperimentOptions Options { get; } = new()
        {
            Preset = TrainingPreset.Smoke with { Steps = 12, ValidationInterval = 0, CheckpointInterval = 0 },
            Seed = 3,
            WorkDirectory = TrainingFixtures.TempDirectory(),
            Threads = 2,
            Tags = Tags(),
            Gates = new Dictionary<string, TagGate>(StringComparer.Ordinal) { ["powerseeking"] = new(0.2, "any"), ["deceit"] = new(0.2, "max") },
            MaxItems = 6,
            MaxDocuments = 8,
            UntrainSteps = [0, 2],
        };

        private static TagOptions Tags() => TestTags.Default();
    }
}
