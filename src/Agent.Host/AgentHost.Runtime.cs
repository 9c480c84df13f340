using Agent.Llama;
using Agent.Runtime;
using Agent.Runtime.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Host;

/// <summary>The runtime's wiring: Agent, Storage, Policy (live), Http and Telemetry sections, sandboxes, plugins, the shared model, OpenTelemetry.</summary>
internal static partial class AgentHost
{
    /// <summary>Adds the Policy section, bound and validated (for verbs that decide actions without running agents: score, eval).</summary>
    public static void AddPolicy(HostApplicationBuilder builder)
    {
        AddValidatedOptions<PolicyOptions>(builder.Services, PolicyOptions.Section);
        builder.Services.AddPolicyValidation();
    }

    /// <summary>Adds the agent runtime. The model loads on the first model step, so review verbs never load it.</summary>
    /// <param name="builder">The verb's host builder.</param>
    /// <param name="modelPath">A model other than Llama:ModelPath, or null.</param>
    /// <param name="service">True for <c>agent serve</c>: telemetry then includes ASP.NET Core and the .NET runtime.</param>
    /// <exception cref="ConfigurationException">The Telemetry section is invalid.</exception>
    public static void AddRuntime(HostApplicationBuilder builder, string? modelPath = null, bool service = false)
    {
        AddValidatedOptions<AgentOptions>(builder.Services, AgentOptions.Section);
        AddValidatedOptions<StorageOptions>(builder.Services, StorageOptions.Section);
        AddValidatedOptions<PolicyOptions>(builder.Services, PolicyOptions.Section);
        AddValidatedOptions<HttpOptions>(builder.Services, HttpOptions.Section);
        AddValidatedOptions<TelemetryOptions>(builder.Services, TelemetryOptions.Section);
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.PostConfigure<StorageOptions>(o =>
        {
            o.DatabasePath = AgentConfiguration.ResolvePath(contentRoot, o.DatabasePath);
            o.WorkspacesPath = string.IsNullOrWhiteSpace(o.WorkspacesPath) ? o.WorkspacesPath : AgentConfiguration.ResolvePath(contentRoot, o.WorkspacesPath);
        });
        AddSandboxes(builder);
        builder.Services.AddSingleton<IRunPluginFactory, SandboxPluginFactory>();
        builder.Services.AddSingleton(sp =>
        {
            var llama = Options<LlamaOptions>(sp, LlamaOptions.Section);
            var agent = Options<AgentOptions>(sp, AgentOptions.Section);
            var paths = sp.GetRequiredService<AgentPaths>();
            return new LoadedModel(sp, paths.Resolve(modelPath ?? llama.ModelPath), agent.ConcurrentRuns);
        });
        builder.Services.AddSingleton<IAgentStepSource>(sp => sp.GetRequiredService<LoadedModel>());
        AddValidatedOptions<ClassifierOptions>(builder.Services, ClassifierOptions.Section);
        builder.Services.AddSingleton<RuntimeClassifier>();
        builder.Services.AddSingleton<Agent.Monitoring.ITagClassifier>(sp => sp.GetRequiredService<RuntimeClassifier>().Classifier!);
        builder.Services.AddAgentRuntime();
        AgentTelemetry.Add(builder, service);
    }

    /// <summary>
    /// Reads every section the runtime uses now, so a bad one fails before any work with one line naming its key
    /// (left to the host's start, an unknown Sandbox key aborted the process with a stack trace).
    /// </summary>
    public static void ValidateRuntimeOptions(IServiceProvider services)
    {
        _ = Options<LlamaOptions>(services, LlamaOptions.Section);
        _ = Options<Agent.Decoding.TagOptions>(services, Agent.Decoding.TagOptions.Section);
        _ = Options<Agent.Sandbox.SandboxOptions>(services, Agent.Sandbox.SandboxOptions.SectionName);
        _ = Options<HttpOptions>(services, HttpOptions.Section);
        _ = Options<TelemetryOptions>(services, TelemetryOptions.Section);
        _ = Options<ClassifierOptions>(services, ClassifierOptions.Section);
        _ = Options<AgentOptions>(services, AgentOptions.Section);
        _ = Options<StorageOptions>(services, StorageOptions.Section);
        _ = Options<PolicyOptions>(services, PolicyOptions.Section);
        _ = services.GetRequiredService<IOptionsMonitor<PolicyOptions>>().CurrentValue;
    }
}
