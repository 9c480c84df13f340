using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.TestSupport;

namespace Agent.Host.Tests;

/// <summary>
/// A test's own folder with an appsettings.json: the repository's file with test values (a tiny model, the run store
/// in the folder, small sandboxes, short budgets, no telemetry, logs to stderr only). In-process tests pass it to
/// <c>AgentHost.CreateBuilder</c>; process tests name it in AGENT_CONFIG, exactly as a user would.
/// </summary>
internal sealed class TestSettings
{
    /// <summary>The bearer token of the test service (Http:Token).</summary>
    public const string Token = "test-token-0123456789abcdef";

    /// <summary>The one line the <see cref="Lister"/> model writes greedily, every step.</summary>
    public const string ListerLine = """call files.list {"path":"."}""";

    private TestSettings(string folder) => Folder = folder;

    /// <summary>A tiny model that, after any prompt (which ends in &lt;mode2&gt;), writes <see cref="ListerLine"/> and a newline: a real model that makes a valid call.</summary>
    public static TinyModelSpec Lister { get; } = new()
    {
        ExtraTokens = [ListerLine],
        FavouredChain = [("<mode2>", ListerLine), (ListerLine, "\n")],
    };

    /// <summary>The repository root (the folder of Agent.sln above the test output).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public string Folder { get; }

    public string SettingsFile => Path.Combine(Folder, "appsettings.json");

    public string RunStoreFile => Path.Combine(Folder, "agent.db");

    /// <summary>Writes the settings into a new folder.</summary>
    /// <param name="modelPath">Llama:ModelPath (default: the default tiny model).</param>
    /// <param name="edit">Further changes to the JSON.</param>
    public static TestSettings Create(string? modelPath = null, Action<JsonObject>? edit = null)
    {
        var settings = new TestSettings(Path.Combine(Path.GetTempPath(), "agent-host-tests", Guid.NewGuid().ToString("N")[..12]));
        Directory.CreateDirectory(settings.Folder);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot, "appsettings.json")))!.AsObject();
        var llama = json["Llama"]!.AsObject();
        llama["ModelPath"] = modelPath ?? TinyModel.DefaultPath;
        llama["ContextSize"] = 512;
        llama["Threads"] = 1;
        var sandbox = json["Sandbox"]!.AsObject();
        sandbox["ImagesDirectory"] = Path.Combine(RepoRoot, "sandboxes");
        sandbox["DockerEndpoint"] = Environment.GetEnvironmentVariable("AGENT_TEST_DOCKER_ENDPOINT") ?? "unix:///var/run/docker.sock";
        sandbox["WarmPoolSize"] = 0;
        sandbox["MemoryLimitMiB"] = 128;
        sandbox["MemorySwapLimitMiB"] = 128;
        sandbox["WorkspaceSizeMiB"] = 16;
        sandbox["TmpSizeMiB"] = 8;
        sandbox["ExecTimeoutSeconds"] = 20;
        var agent = json["Agent"]!.AsObject();
        agent["MaxSteps"] = 2;
        agent["MaxTokensPerStep"] = 32;
        agent["ConcurrentRuns"] = 1;
        json["Storage"]!.AsObject()["DatabasePath"] = "agent.db"; // relative: resolved against this folder
        json["Http"]!["Url"] = "http://127.0.0.1:0";
        json["Http"]!["Token"] = Token;
        json["Telemetry"]!["Exporter"] = "none";
        json["Classifier"]!["WeightsPath"] = Path.Combine(RepoRoot, "models", "classifier.bin");
        var serilog = json["Serilog"]!.AsObject();
        serilog["MinimumLevel"]!["Default"] = "Warning";
        serilog["WriteTo"] = new JsonArray(serilog["WriteTo"]!.AsArray().Where(s => (string?)s!["Name"] == "Console").Select(s => s!.DeepClone()).ToArray());
        edit?.Invoke(json);
        File.WriteAllText(settings.SettingsFile, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return settings;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agent.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Agent.sln not found above the test folder.");
    }
}
