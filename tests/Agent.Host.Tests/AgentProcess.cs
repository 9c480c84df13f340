using System.Diagnostics;

namespace Agent.Host.Tests;

/// <summary>The exit code and output of one <c>agent</c> process.</summary>
internal sealed record AgentProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>
/// Runs the <c>agent</c> executable that the build put at src/Agent.Host/bin/CONFIGURATION/net10.0/agent (the
/// configuration this test assembly was built in), with AGENT_CONFIG naming a test's appsettings.json.
/// </summary>
internal static class AgentProcess
{
    public static string Executable { get; } = Path.Combine(
        TestSettings.RepoRoot, "src", "Agent.Host", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "agent");

    public static async Task<AgentProcessResult> RunAsync(TestSettings settings, params string[] args)
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: build src/Agent.Host first");
        var start = new ProcessStartInfo(Executable, args)
        {
            WorkingDirectory = settings.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("AGENT_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["AGENT_CONFIG"] = settings.SettingsFile;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"agent {string.Join(' ', args)} ran past 120 s; stderr so far: {await stderr}");
        }

        return new AgentProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
