namespace Agent.Host.Tests;

/// <summary>A bad key in appsettings.json or in an override fails at start, exit code 2, with one line naming it.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class AgentConfigurationTests
{
    [Theory]
    [InlineData("Policy:Tagz:x=1", "Tagz")]
    [InlineData("Agent:MaxStepz=3", "MaxStepz")]
    [InlineData("Polcy:Tags:x=1", "Unknown section 'Polcy'")]
    public async Task Start_UnknownKeyInOverride_Exits2NamingTheKey(string setting, string named)
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "review", "list", "--set", setting);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Start_UnknownKeyInSettingsFile_Exits2NamingTheKeyBeforeAnyRun()
    {
        var settings = TestSettings.Create(edit: json => json["Sandbox"]!["MemoryLimitMb"] = 64);

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--json");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("MemoryLimitMb", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created although the configuration is invalid");
    }
}
