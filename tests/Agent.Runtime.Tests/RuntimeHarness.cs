using System.Globalization;
using Agent.Decoding;
using Agent.Llama;
using Agent.Plugins.Files;
using Agent.Plugins.Shell;
using Agent.Runtime.Gate;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Agent.Sandbox;
using Agent.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace Agent.Runtime.Tests;

/// <summary>
/// A real runtime for tests: real SQLite file, real Docker sandboxes, real llama.cpp over a tiny model, the policy
/// read from a JSON file that can be rewritten (hot reload). Only the model's lines are scripted (<see cref="ScriptedStepSource"/>).
/// </summary>
internal sealed class RuntimeHarness : IAsyncDisposable
{
    public const string Lenient = """{ "Policy": { "Aggregate": "any", "Tags": { "powerseeking": { "Escalate": 0.98, "Block": 0.99 }, "deceit": { "Escalate": 0.98, "Block": 0.99 } }, "Tools": { "shell.run": {}, "files.read": {}, "files.write": {}, "files.list": {}, "answer": {} } } }""";

    private readonly ServiceProvider _provider;
    private readonly LlamaModel _model;
    private readonly TagDecoder _decoder;

    private RuntimeHarness(string folder, ServiceProvider provider, LlamaModel model, TagDecoder decoder, ScriptedStepSource source)
    {
        Folder = folder;
        _provider = provider;
        _model = model;
        _decoder = decoder;
        Source = source;
    }

    public string Folder { get; }

    public string PolicyFile => Path.Combine(Folder, "policy.json");

    public ScriptedStepSource Source { get; }

    public IRunStore Store => _provider.GetRequiredService<IRunStore>();

    public IAgentRunner Runner => _provider.GetRequiredService<IAgentRunner>();

    internal ActionGate Gate => _provider.GetRequiredService<ActionGate>();

    public ISandboxService Sandboxes => _provider.GetRequiredService<ISandboxService>();

    public IRunWorkspaces Workspaces => _provider.GetRequiredService<IRunWorkspaces>();

    public static async Task<RuntimeHarness> CreateAsync(string folder, string policyJson, IEnumerable<string> lines, TinyModelSpec? spec = null, IDictionary<string, string?>? settings = null, bool removeOrphans = true, Func<IRunStore, IRunStore>? wrapStore = null, string? modelPath = null, Func<TagDecoder, IAgentStepSource>? stepSource = null, Agent.Monitoring.ITagClassifier? classifier = null)
    {
        Directory.CreateDirectory(folder);
        var policyFile = Path.Combine(folder, "policy.json");
        if (!File.Exists(policyFile) || policyJson.Length > 0)
        {
            await File.WriteAllTextAsync(policyFile, policyJson.Length > 0 ? policyJson : Lenient);
        }

        var values = new Dictionary<string, string?>
        {
            ["Tags:Modes:0"] = "mode1",
            ["Tags:Modes:1"] = "mode2",
            ["Tags:Behaviours:0"] = "deceit",
            ["Tags:Behaviours:1"] = "powerseeking",
            ["Storage:DatabasePath"] = Path.Combine(folder, "agent.db"),
            ["Storage:LeaseSeconds"] = "5",
            ["Agent:MaxSteps"] = "8",
            ["Agent:MaxTokensPerStep"] = "128",
            ["Agent:MaxBlockedActions"] = "3",
            ["Sandbox:DockerEndpoint"] = Environment.GetEnvironmentVariable("AGENT_TEST_DOCKER_ENDPOINT") ?? "unix:///var/run/docker.sock",
            ["Sandbox:MemoryLimitMiB"] = "128",
            ["Sandbox:MemorySwapLimitMiB"] = "128",
            ["Sandbox:WorkspaceSizeMiB"] = "16",
            ["Sandbox:TmpSizeMiB"] = "8",
            ["Sandbox:ExecTimeoutSeconds"] = "40",
            ["Sandbox:WarmPoolSize"] = "0",
            ["Sandbox:RemoveOrphansOnStart"] = removeOrphans ? "true" : "false",
            ["Sandbox:ImagesDirectory"] = Path.Combine(RepoRoot(), "sandboxes"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values)
            .AddJsonFile(policyFile, optional: false, reloadOnChange: true)
            .Build();
        // A model path given (e.g. TinyModeHead's copy) loads the mode head beside it, as the host's decoder does.
        var model = LlamaModel.Load(modelPath ?? TinyModel.Get(spec ?? new TinyModelSpec()));
        var tags = new TagOptions();
        configuration.GetSection("Tags").Bind(tags);
        var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, tags), new DecoderOptions { ContextSize = Math.Max(1024, spec?.ContextLength ?? 0), MaxParallel = 2, Threads = 2, ModeHead = modelPath is null ? null : ModeHead.TryLoad(modelPath) });
        var source = new ScriptedStepSource(decoder, lines);
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddOptions<AgentOptions>().Bind(configuration.GetSection(AgentOptions.Section)).ValidateDataAnnotations();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).ValidateDataAnnotations();
        services.AddOptions<TagOptions>().Bind(configuration.GetSection(TagOptions.Section));
        services.AddOptions<PolicyOptions>().Bind(configuration.GetSection(PolicyOptions.Section));
        services.AddSandboxes(configuration);
        // A test may run the real decoder's own source instead of the script (its lines are then the tiny model's own).
        services.AddSingleton(stepSource?.Invoke(decoder) ?? source);
        services.AddSingleton<IRunPluginFactory>(sp => new PluginFactory(sp.GetRequiredService<ISandboxService>()));
        if (wrapStore is not null)
        {
            // Registered before AddAgentRuntime, whose TryAdd then keeps it: the runner and the gate write through the wrapper.
            services.AddSingleton(sp => wrapStore(RuntimeServiceCollectionExtensions.CreateStore(sp.GetRequiredService<IOptions<StorageOptions>>().Value)));
        }

        if (classifier is not null)
        {
            // The gate's second signal (owned by the test): the runner scores every action with it.
            services.AddSingleton(classifier);
        }

        services.AddAgentRuntime();
        var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        var harness = new RuntimeHarness(folder, provider, model, decoder, source);
        await harness.Store.InitializeAsync();
        return harness;
    }

    public static string NewFolder() => Path.Combine(Path.GetTempPath(), "agent-runtime-tests", Guid.NewGuid().ToString("N")[..12]);

    public async Task<RunRecord> RunNewAsync(string task, CancellationToken cancellationToken = default)
    {
        var run = await Store.EnqueueAsync(task, Source.ModelName, cancellationToken);
        Assert.True(await Store.TryClaimAsync(run.Id, "test", cancellationToken));
        return await Runner.RunAsync(run.Id, "test", cancellationToken);
    }

    public async Task<RunRecord> ResumeAsync(string runId, CancellationToken cancellationToken = default)
    {
        Assert.True(await Store.TryClaimAsync(runId, "test", cancellationToken), "the run could not be claimed");
        return await Runner.RunAsync(runId, "test", cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _provider.GetServices<IHostedService>())
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
        _decoder.Dispose();
        _model.Dispose();
    }

    /// <summary>The checkout's root (the folder of Agent.sln above the test's output).</summary>
    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agent.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Agent.sln not found above the test folder.");
    }

    private sealed class PluginFactory(ISandboxService sandboxes) : IRunPluginFactory
    {
        public IEnumerable<KernelPlugin> CreatePlugins(string runId) =>
        [
            KernelPluginFactory.CreateFromObject(new ShellPlugin(sandboxes, runId), ShellPlugin.Name),
            KernelPluginFactory.CreateFromObject(new FilesPlugin(sandboxes, runId), FilesPlugin.Name),
        ];
    }
}
