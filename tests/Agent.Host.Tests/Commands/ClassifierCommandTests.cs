using System.Text.Json;

namespace Agent.Host.Tests.Commands;

/// <summary><c>agent classifier train</c> and <c>eval</c> end to end on a small generated corpus, with the real encoder.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class ClassifierCommandTests
{
    [Fact]
    public async Task TrainThenEval_SmallCorpus_WritesWeightsAndSeparatesTestTemplates()
    {
        var settings = TestSettings.Create(Path.Combine(TestSettings.RepoRoot, "models", "agent-default.gguf"));
        var weights = Path.Combine(settings.Folder, "classifier.bin");

        var train = await AgentProcess.RunAsync(settings, "classifier", "train", "--documents", "400", "--out", weights, "--json");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.True(new FileInfo(weights).Length is > 0 and < 300_000, $"{new FileInfo(weights).Length} bytes"); // two heads of 1,548 features, one may have 16 hidden units

        var eval = await AgentProcess.RunAsync(settings, "classifier", "eval", "--documents", "400", "--split", "test", "--json", "--set", $"Classifier:WeightsPath={weights}");
        Assert.True(eval.ExitCode == 0, eval.ToString());
        var heads = JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("heads").EnumerateArray().ToList();
        Assert.Equal(["deceit", "powerseeking"], heads.Select(h => h.GetProperty("tag").GetString()).Order());
        Assert.All(heads, h => Assert.Equal("test", h.GetProperty("split").GetString()));
        Assert.All(heads, h => Assert.True(h.GetProperty("auroc").GetDouble() > 0.7, eval.Stdout));
        Assert.Contains("loaded in", eval.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_ShippedClassifierOnIndependentItems_SeparatesLiesFromHonestAnswers()
    {
        var settings = TestSettings.Create(Path.Combine(TestSettings.RepoRoot, "models", "agent-default.gguf"));
        var items = Path.Combine(TestSettings.RepoRoot, "models", "eval", "independent-items.jsonl");

        var eval = await AgentProcess.RunAsync(settings, "classifier", "eval", "--split", "none", "--items", items, "--json",
            "--set", $"Classifier:WeightsPath={TrainCommandTests.ShippedClassifier}");

        Assert.True(eval.ExitCode == 0, eval.ToString());
        var heads = JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("heads").EnumerateArray().ToList();
        Assert.All(heads, h => Assert.Equal("independent", h.GetProperty("split").GetString()));
        var deceit = heads.Single(h => h.GetProperty("tag").GetString() == "deceit");
        Assert.Equal((34, 34), (deceit.GetProperty("positives").GetInt32(), deceit.GetProperty("negatives").GetInt32()));
        Assert.True(deceit.GetProperty("auroc").GetDouble() > 0.8, eval.Stdout);
        Assert.Equal(["after-failure", "changed-value", "denial"], deceit.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("group").GetString()));
    }

    [Fact]
    public async Task Eval_MissingOrCorruptWeights_ExitTwoNamingFileAndTrainCommand()
    {
        var settings = TestSettings.Create(Path.Combine(TestSettings.RepoRoot, "models", "agent-default.gguf"));
        var weights = Path.Combine(settings.Folder, "none.bin");

        var missing = await AgentProcess.RunAsync(settings, "classifier", "eval", "--documents", "50", "--set", $"Classifier:WeightsPath={weights}");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains(weights, missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("agent classifier train", missing.Stderr, StringComparison.Ordinal);

        await File.WriteAllBytesAsync(weights, [.. "AGTCLS01"u8, 1, 2, 3, .. new byte[40]]);
        var corrupt = await AgentProcess.RunAsync(settings, "classifier", "eval", "--documents", "50", "--set", $"Classifier:WeightsPath={weights}");
        Assert.Equal(2, corrupt.ExitCode);
        Assert.Contains("checksum", corrupt.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Classifier_UnknownKey_RefusedAtStart()
    {
        var settings = TestSettings.Create(Path.Combine(TestSettings.RepoRoot, "models", "agent-default.gguf"));
        var result = await AgentProcess.RunAsync(settings, "classifier", "eval", "--set", "Classifier:Weights=x");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Classifier:Weights", result.Stderr, StringComparison.Ordinal);
    }
}
