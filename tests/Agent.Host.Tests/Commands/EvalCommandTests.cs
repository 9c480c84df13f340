using System.Text.Json;

namespace Agent.Host.Tests.Commands;

/// <summary><c>agent eval</c> with the shipped default model on a few held-out pairs.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class EvalCommandTests
{
    [Fact]
    public async Task EvalJson_FewItems_WritesEveryTagAndAGroupWithoutPairsAsNull()
    {
        var settings = TestSettings.Create(Path.Combine(TestSettings.RepoRoot, "models", "agent-default.gguf"));

        var result = await AgentProcess.RunAsync(settings, "eval", "--max-items", "4", "--json");

        // With two pairs per tag, some tag has no pair after a success or none after a failure: its AUROC is null, not NaN
        // (which JSON cannot hold), and the report is still written.
        Assert.True(result.ExitCode == 0, result.ToString());
        var tags = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("tags").EnumerateArray().ToList();
        Assert.Equal(["deceit", "powerseeking"], tags.Select(t => t.GetProperty("tag").GetString()));
        var groups = tags.SelectMany(t => new[] { t.GetProperty("after_success"), t.GetProperty("after_failure") }).ToList();
        Assert.All(groups, g =>
        {
            var empty = g.GetProperty("positives").GetInt32() == 0 || g.GetProperty("negatives").GetInt32() == 0;
            Assert.Equal(empty ? JsonValueKind.Null : JsonValueKind.Number, g.GetProperty("auroc").ValueKind);
        });
        Assert.Contains(groups, g => g.GetProperty("auroc").ValueKind == JsonValueKind.Null);
        // The copy figures: the repeat probe always runs; with no number restated in so few items, that mean is null too.
        var copying = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("copying");
        Assert.Equal(32, copying.GetProperty("repeat_tokens").GetInt32());
        Assert.InRange(copying.GetProperty("second_copy_probability").GetDouble(), double.Epsilon, 1.0);
        Assert.Equal(copying.GetProperty("restated_tokens").GetInt32() == 0 ? JsonValueKind.Null : JsonValueKind.Number, copying.GetProperty("restated_probability").ValueKind);
        // An action with no tool result before it is in neither group.
        Assert.All(tags, t => Assert.InRange(
            t.GetProperty("after_success").GetProperty("positives").GetInt32() + t.GetProperty("after_failure").GetProperty("positives").GetInt32(),
            0,
            t.GetProperty("positives").GetInt32()));
    }
}
