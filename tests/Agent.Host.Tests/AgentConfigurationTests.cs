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
    public void Build_SettingsLayers_OverTheFileInOrderAndUnderSet()
    {
        var settings = TestSettings.Create();
        var first = Path.Combine(settings.Folder, "first.json");
        var second = Path.Combine(settings.Folder, "second.json");
        File.WriteAllText(first, """{ "Agent": { "MaxSteps": 5, "MaxTokensPerStep": 77 }, "Policy": { "Tags": { "deceit": { "Escalate": 0.11 } } } }""");
        File.WriteAllText(second, """{ "Agent": { "MaxSteps": 6 } }""");

        var configuration = AgentConfiguration.Build(settings.SettingsFile, ["Agent:MaxTokensPerStep=88"], [first, second]);

        Assert.Equal("6", configuration["Agent:MaxSteps"]);
        Assert.Equal("88", configuration["Agent:MaxTokensPerStep"]);
        Assert.Equal("0.11", configuration["Policy:Tags:deceit:Escalate"]);
        Assert.Equal("0.7", configuration["Policy:Tags:deceit:Block"]); // the file's, under the layer
    }

    [Fact]
    public async Task Start_SettingsFileMissing_Exits2NamingIt()
    {
        var settings = TestSettings.Create();
        var missing = Path.Combine(settings.Folder, "no-such-policy.json");

        var result = await AgentProcess.RunAsync(settings, "review", "list", "--settings", missing);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"--settings '{missing}' does not exist", line, StringComparison.Ordinal);
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

    [Theory]
    [InlineData("Sandbox:MemoryLimitMb=64", "Sandbox:MemoryLimitMb", "info")]
    [InlineData("Sandbox:MemoryLimitMb=64", "Sandbox:MemoryLimitMb", "sandbox", "run", "--", "true")]
    [InlineData("Sandbox:MemoryLimitMb=64", "Sandbox:MemoryLimitMb", "sandbox", "exec", "no-such-sandbox", "--", "true")]
    [InlineData("Sandbox:MemoryLimitMb=64", "Sandbox:MemoryLimitMb", "sandbox", "clean")]
    [InlineData("Agent:MaxStepz=3", "Agent:MaxStepz", "sandbox", "exec", "no-such-sandbox", "--", "true")]
    [InlineData("Storage:Pathh=x", "Storage:Pathh", "generate", "--prompt", "hi")]
    [InlineData("Http:Tokn=x", "Http:Tokn", "submit", "a task")]
    [InlineData("Telemetry:Exportr=none", "Telemetry:Exportr", "info")]
    [InlineData("Decoding:Temperature=1", "Unknown section 'Decoding'", "info")]
    [InlineData("Training:Steps=1", "Unknown section 'Training'", "info")]
    [InlineData("Sandbox:ReadOnlyMounts:0:HostPth=/tmp", "Sandbox:ReadOnlyMounts:0:HostPth", "info")]
    public async Task Start_UnknownKeyInAnySectionForAnyVerb_RefusedBeforeWorkNamingTheKey(string setting, string named, params string[] verb)
    {
        var settings = TestSettings.Create();

        // --set first: after a sandbox verb's "--" it would be part of the command.
        var result = await AgentProcess.RunAsync(settings, ["--set", setting, .. verb]);

        // sandbox run/exec pass the command's exit code through, so their own failures exit 125 (as docker's do).
        var runsCommand = verb is ["sandbox", "run" or "exec", ..];
        Assert.True(result.ExitCode == (runsCommand ? 125 : 2), result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(runsCommand ? "agent sandbox: " : "error: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("Policy:Tags:deceit:Blok=0.5", "Policy:Tags:deceit:Blok")]
    [InlineData("Policy:Tools:shell.run:Modez=Gated", "Policy:Tools:shell.run:Modez")]
    [InlineData("Policy:Tools:answer:Tags:deceit:Escalte=0.1", "Policy:Tools:answer:Tags:deceit:Escalte")]
    [InlineData("Policy:Aggregate:x=1", "Policy:Aggregate:x")]
    public async Task Start_UnknownPolicyKey_Exits2NamingItsFullPath(string setting, string path)
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "review", "list", "--set", setting);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"'{path}'", line, StringComparison.Ordinal);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created although the configuration is invalid");
    }

    [Theory]
    [InlineData("run", "List the files")]
    [InlineData("serve")]
    [InlineData("generate", "--prompt", "hi")]
    [InlineData("score", "--input", "/dev/null")]
    [InlineData("eval", "--max-items", "1")]
    [InlineData("info", "--model", "default")]
    [InlineData("bench", "runtime", "--store", "bench.db")]
    public async Task Start_MissingModel_Exits2NamingTheModelBeforeAnyRunIsStored(params string[] verb)
    {
        var missing = Path.Combine(Path.GetTempPath(), "agent-host-tests", "no-such-model.gguf");
        var settings = TestSettings.Create(modelPath: missing);

        string[] args = verb[0] == "bench" ? [.. verb, "--tasks", Path.Combine(TestSettings.RepoRoot, "bench", "runtime-tasks.jsonl")] : verb;

        var result = await AgentProcess.RunAsync(settings, args);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(missing, line, StringComparison.Ordinal);
        Assert.Contains("Llama:ModelPath", line, StringComparison.Ordinal);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created although the model is missing");
        Assert.False(File.Exists(Path.Combine(settings.Folder, "bench.db")), "the benchmark's run store was created although the model is missing");
    }
}
