namespace Agent.Host.Tests.Commands;

/// <summary><c>agent train</c>'s recipe options reject a bad value before any work starts.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class TrainCommandTests
{
    [Theory]
    [InlineData("--copy-drills", "1.5", "--copy-drills 1.5 must be between 0 (none) and 0.9")]
    [InlineData("--copy-drills", "-0.1", "--copy-drills -0.1 must be between 0 (none) and 0.9")]
    [InlineData("--tag-weight", "0", "--tag-weight 0 must be at least 1")]
    public async Task Train_OutOfRangeRecipeOption_IsAUserErrorThatSaysWhatIsAllowed(string option, string value, string message)
    {
        var settings = TestSettings.Create(Path.Combine(TestSettings.RepoRoot, "models", "agent-default.gguf"));
        var work = Path.Combine(Path.GetTempPath(), "agent-tests", "train-" + Guid.NewGuid().ToString("N"));

        var result = await AgentProcess.RunAsync(settings, "train", "--preset", "smoke", "--work", work, "--out", Path.Combine(work, "m.gguf"), option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work), "nothing is written for a rejected recipe");
    }
}
