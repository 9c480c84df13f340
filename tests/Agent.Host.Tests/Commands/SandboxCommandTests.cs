namespace Agent.Host.Tests.Commands;

/// <summary>`agent sandbox run` as a user runs it: a real process, a real engine.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class SandboxCommandTests
{
    /// <summary>Proves a command's own exit code 2 and agent's own failure (bad configuration) can be told apart: 2 is the command's, 125 is agent's.</summary>
    [Fact]
    public async Task Run_CommandExitsTwoOrConfigurationInvalid_ExitCodesTellThemApart()
    {
        var settings = TestSettings.Create();

        var command = await AgentProcess.RunAsync(settings, "sandbox", "run", "--", "sh", "-c", "echo ran; exit 2");
        var invalid = await AgentProcess.RunAsync(settings, "sandbox", "run", "--set", "Sandbox:NetworkMode=HOST", "--", "true");

        Assert.True(command.ExitCode == 2, command.ToString());
        Assert.Equal("ran\n", command.Stdout);
        Assert.DoesNotContain("agent sandbox:", command.Stderr, StringComparison.Ordinal);
        Assert.True(invalid.ExitCode == 125, invalid.ToString());
        Assert.Contains("agent sandbox:", invalid.Stderr, StringComparison.Ordinal);
        Assert.Contains("Sandbox:NetworkMode", invalid.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Proves a timeout is reported as agent's (124) with what the command wrote before it.</summary>
    [Fact]
    public async Task Run_CommandPastTimeout_Exits124WithPartialOutput()
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "sandbox", "run", "--timeout", "1", "--", "sh", "-c", "echo partial; sleep 30");

        Assert.True(result.ExitCode == 124, result.ToString());
        Assert.Equal("partial\n", result.Stdout);
        Assert.Contains("agent sandbox:", result.Stderr, StringComparison.Ordinal);
    }
}
