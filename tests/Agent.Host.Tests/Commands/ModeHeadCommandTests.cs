using System.Text.Json.Nodes;
using Agent.TestSupport;

namespace Agent.Host.Tests.Commands;

/// <summary>The mode head through the CLI: <c>agent train --mode-head-weight</c>, <c>agent tune --mode-head-weight</c>, <c>generate --json</c> and <c>info</c>.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class ModeHeadCommandTests
{
    [Fact]
    public async Task TrainWithHead_GenerateJsonHasPModePerTokenAndInfoNamesTheHead_AModelWithoutOneSaysSo()
    {
        var settings = TestSettings.Create();
        var work = Path.Combine(settings.Folder, "work");
        var model = Path.Combine(settings.Folder, "m.gguf");
        var trained = await AgentProcess.RunAsync(settings, "train", "--preset", "smoke", "--steps", "3", "--work", work, "--out", model, "--mode-head-weight", "1");
        Assert.True(trained.ExitCode == 0, trained.ToString());
        var head = Path.Combine(settings.Folder, "m.mode-head.gguf");
        Assert.True(File.Exists(head), head);

        var generated = await AgentProcess.RunAsync(settings, "generate", "--model", model, "--prompt", "<mode1>task list the files\n", "--max-tokens", "4", "--json");
        Assert.True(generated.ExitCode == 0, generated.ToString());
        var json = JsonNode.Parse(generated.Stdout)!;
        Assert.Equal(head, (string?)json["mode_head"]);
        var tokens = json["tokens"]!.AsArray();
        Assert.NotEmpty(tokens);
        Assert.All(tokens, t => Assert.InRange((double)t!["p_mode2"]!, 0, 1));

        var info = await AgentProcess.RunAsync(settings, "info", "--model", model, "--json");
        Assert.Equal(head, (string?)JsonNode.Parse(info.Stdout)!["model"]!["mode_head"]);

        // A model without a head: no p_mode2, and the output says there is no head.
        var plain = await AgentProcess.RunAsync(settings, "generate", "--prompt", "<mode1>task list the files\n", "--max-tokens", "4", "--json");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var plainJson = JsonNode.Parse(plain.Stdout)!.AsObject();
        Assert.True(plainJson.ContainsKey("mode_head") && plainJson["mode_head"] is null);
        Assert.All(plainJson["tokens"]!.AsArray(), t => Assert.False(t!.AsObject().ContainsKey("p_mode2")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("8")]
    public async Task TuneWithHead_GenerateJsonOnTheMergedModelHasPModePerToken(string hidden)
    {
        var settings = TestSettings.Create();
        var work = Path.Combine(settings.Folder, "tune-work");
        var model = Path.Combine(settings.Folder, "tuned.gguf");
        var tuned = await AgentProcess.RunAsync(settings, "tune", "--base", TinyModel.DefaultPath, "--out", model, "--work", work,
            "--steps", "3", "--window", "64", "--batch", "1", "--mode-head-weight", "1", "--mode-head-hidden", hidden);
        Assert.True(tuned.ExitCode == 0, tuned.ToString());
        var head = Path.Combine(settings.Folder, "tuned.mode-head.gguf");
        Assert.True(File.Exists(head), head);
        Assert.Contains("wrote mode head", tuned.Stdout, StringComparison.Ordinal);

        var generated = await AgentProcess.RunAsync(settings, "generate", "--model", model, "--prompt", "<mode2>call shell.run", "--max-tokens", "4", "--json");
        Assert.True(generated.ExitCode == 0, generated.ToString());
        var json = JsonNode.Parse(generated.Stdout)!;
        Assert.Equal(head, (string?)json["mode_head"]);
        var tokens = json["tokens"]!.AsArray();
        Assert.NotEmpty(tokens);
        Assert.All(tokens, t => Assert.InRange((double)t!["p_mode2"]!, 0, 1));
    }

    [Fact]
    public async Task Tune_ModeHeadWithZeroSteps_IsAUserErrorBeforeAnyWork()
    {
        var settings = TestSettings.Create();
        var work = Path.Combine(settings.Folder, "tune-zero");
        var result = await AgentProcess.RunAsync(settings, "tune", "--base", TinyModel.DefaultPath, "--out", Path.Combine(work, "m.gguf"), "--work", work,
            "--steps", "0", "--mode-head-weight", "1");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--steps is 0", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public async Task TrainAndTune_HiddenLayerWithoutAHead_IsAUserErrorBeforeAnyWork()
    {
        var settings = TestSettings.Create();
        var work = Path.Combine(settings.Folder, "work-hidden");
        var train = await AgentProcess.RunAsync(settings, "train", "--preset", "smoke", "--work", work, "--out", Path.Combine(work, "m.gguf"), "--mode-head-hidden", "8");
        var tune = await AgentProcess.RunAsync(settings, "tune", "--base", TinyModel.DefaultPath, "--work", work, "--out", Path.Combine(work, "t.gguf"), "--mode-head-hidden", "8");
        foreach (var result in new[] { train, tune })
        {
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("--mode-head-hidden shapes the mode head", result.Stderr + result.Stdout, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public async Task Train_NegativeModeHeadWeight_IsAUserErrorBeforeAnyWork()
    {
        var settings = TestSettings.Create();
        var work = Path.Combine(settings.Folder, "work-negative");
        var result = await AgentProcess.RunAsync(settings, "train", "--preset", "smoke", "--work", work, "--out", Path.Combine(work, "m.gguf"), "--mode-head-weight", "-1");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--mode-head-weight -1 must be finite and >= 0", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public async Task Experiment_UnknownName_IsAUserErrorListingTheExperiments()
    {
        var result = await AgentProcess.RunAsync(TestSettings.Create(), "experiment", "nonsense");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("mode-head, tag-removal, transfer, early-alignment", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }
}
