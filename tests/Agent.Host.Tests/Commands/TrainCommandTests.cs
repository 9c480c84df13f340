namespace Agent.Host.Tests.Commands;

/// <summary><c>agent train</c>'s recipe options reject a bad value before any work starts.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class TrainCommandTests
{
    [Fact]
    public async Task Train_TagWeightBelowOne_IsAUserErrorThatSaysWhatIsAllowed()
    {
        var settings = TestSettings.Create(); // the option is checked before any model is loaded
        var work = Path.Combine(Path.GetTempPath(), "agent-tests", "train-" + Guid.NewGuid().ToString("N"));

        var result = await AgentProcess.RunAsync(settings, "train", "--preset", "smoke", "--work", work, "--out", Path.Combine(work, "m.gguf"), "--tag-weight", "0");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--tag-weight 0 must be at least 1", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work), "nothing is written for a rejected recipe");
    }
}
