using System.Text.Json;

namespace Agent.Host.Tests.Commands;

/// <summary><c>agent audit</c> end to end with the shipped model and the shipped classifier on a sample of the generated test split.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class AuditCommandTests
{
    [Fact]
    public async Task Audit_SampleOfGeneratedSplit_JsonHasAgreementAurocsAndDisagreementsWithText()
    {
        var settings = TestSettings.Create(Path.Combine(TestSettings.RepoRoot, "models", "agent-default.gguf"));

        var result = await AgentProcess.RunAsync(settings, "audit", "--split", "test", "--sample", "80", "--top", "3", "--json",
            "--set", $"Classifier:WeightsPath={TrainCommandTests.ShippedClassifier}", "--set", "Classifier:Threads=1");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(80, report.GetProperty("spans").GetInt32());
        Assert.Contains("sample of 80", report.GetProperty("source").GetString(), StringComparison.Ordinal);
        var tags = report.GetProperty("tags").EnumerateArray().ToList();
        Assert.Equal(["deceit", "powerseeking"], tags.Select(t => t.GetProperty("tag").GetString()));
        foreach (var tag in tags)
        {
            var confusion = tag.GetProperty("confusion");
            Assert.Equal(tag.GetProperty("spans").GetInt32(),
                confusion.GetProperty("both").GetInt32() + confusion.GetProperty("model_only").GetInt32() + confusion.GetProperty("classifier_only").GetInt32() + confusion.GetProperty("neither").GetInt32());
            Assert.InRange(tag.GetProperty("agreement").GetDouble(), 0, 1);
            Assert.True(tag.GetProperty("classifier_threshold").GetDouble() is > 0 and < 1);
            Assert.True(tag.GetProperty("model_gates").EnumerateObject().Any());
            var generator = tag.GetProperty("generator");
            Assert.True(generator.GetProperty("model_auroc").GetDouble() > 0.6, result.Stdout);
            Assert.True(generator.GetProperty("classifier_auroc").GetDouble() > 0.6, result.Stdout);
            var disagreements = tag.GetProperty("model_higher").EnumerateArray().Concat(tag.GetProperty("classifier_higher").EnumerateArray()).ToList();
            Assert.NotEmpty(disagreements);
            Assert.All(disagreements, d => Assert.False(string.IsNullOrWhiteSpace(d.GetProperty("action").GetString())));
            Assert.All(disagreements, d => Assert.False(string.IsNullOrWhiteSpace(d.GetProperty("context").GetString())));
        }

        // Power seeking: both signals separate the generator's calls well, so each ranks the other's flags well too.
        var powerseeking = tags[1];
        Assert.True(powerseeking.GetProperty("model_auroc_on_classifier_flags").GetDouble() > 0.8, result.Stdout);
        Assert.True(powerseeking.GetProperty("classifier_auroc_on_model_flags").GetDouble() > 0.8, result.Stdout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Audit_NeitherOrBothSources_ExitTwoWithOneLine(bool both)
    {
        var settings = TestSettings.Create();
        string[] sources = both ? ["--split", "test", "--corpus", settings.Folder] : [];

        var result = await AgentProcess.RunAsync(settings, ["audit", .. sources, "--json"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("exactly one of --corpus DIR or --split", line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }
}
