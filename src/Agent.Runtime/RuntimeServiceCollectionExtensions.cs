using Agent.Decoding;
using Agent.Runtime.Gate;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Runtime;

/// <summary>Registers the agent runtime.</summary>
public static class RuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the run store, the policy validator, the action gate, the run workspaces (<see cref="IRunWorkspaces"/>) and
    /// the runner. The caller binds <see cref="AgentOptions"/>, <see cref="StorageOptions"/>, <see cref="PolicyOptions"/>
    /// and <see cref="TagOptions"/>, and registers an <see cref="IAgentStepSource"/>, an <see cref="IRunPluginFactory"/>
    /// and the sandboxes (<see cref="Agent.Sandbox.ISandboxService"/>); and an <see cref="Agent.Monitoring.ITagClassifier"/>
    /// when the policy counts the classifier's signal (without one the gate reads the model's temptation only).
    /// </summary>
    public static IServiceCollection AddAgentRuntime(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PolicyOptions>, PolicyOptionsValidator>());
        services.TryAddSingleton<IRunStore>(sp => CreateStore(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.TryAddSingleton(sp => new ActionGate(
            sp.GetRequiredService<IOptionsMonitor<PolicyOptions>>(),
            sp.GetRequiredService<IRunStore>(),
            sp.GetRequiredService<ILogger<ActionGate>>(),
            RunTranscriptFormat.MonitoredTags(sp.GetRequiredService<IOptions<AgentOptions>>().Value, sp.GetRequiredService<IOptions<TagOptions>>().Value)));
        services.TryAddSingleton<IRunWorkspaces>(sp => new RunWorkspaces(
            sp.GetRequiredService<Agent.Sandbox.ISandboxService>(),
            sp.GetRequiredService<IRunStore>(),
            sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            sp.GetRequiredService<ILogger<RunWorkspaces>>()));
        services.TryAddSingleton<IAgentRunner>(sp =>
        {
            var agent = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            var tags = sp.GetRequiredService<IOptions<TagOptions>>().Value;
            return new AgentRunner(
                sp.GetRequiredService<IRunStore>(),
                sp.GetRequiredService<IAgentStepSource>(),
                sp.GetRequiredService<IRunPluginFactory>(),
                sp.GetRequiredService<IRunWorkspaces>(),
                sp.GetRequiredService<ActionGate>(),
                agent,
                Constraints(agent, tags),
                sp.GetRequiredService<ILogger<AgentRunner>>(),
                sp.GetService<Agent.Monitoring.ITagClassifier>(),
                TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<StorageOptions>>().Value.LeaseSeconds / 3.0),
                sp.GetService<ILoggerFactory>());
        });
        return services;
    }

    /// <summary>The run store <see cref="StorageOptions.Provider"/> names: a SQLite file, or a PostgreSQL database several hosts share.</summary>
    /// <param name="options">The validated Storage section.</param>
    /// <param name="time">The clock of the leases (tests shift it); the system clock by default.</param>
    public static IRunStore CreateStore(StorageOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider switch
        {
            StorageProvider.Sqlite => new SqliteRunStore(options, time),
            StorageProvider.PostgreSql => new PostgreSqlRunStore(options, time),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "Storage:Provider must be Sqlite or PostgreSql."),
        };
    }

    /// <summary>Adds the validator of the Policy section (thresholds in [0, 1], Escalate not above Block, known tags and aggregates).</summary>
    public static IServiceCollection AddPolicyValidation(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PolicyOptions>, PolicyOptionsValidator>());
        return services;
    }

    /// <summary>The constraints of every model step: inside <see cref="AgentOptions.RequiredMode"/>, with the banned tags banned.</summary>
    public static DecodingConstraints Constraints(AgentOptions agent, TagOptions tags)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(tags);
        var constraints = DecodingConstraints.None.InMode(agent.RequiredMode);
        foreach (var tag in RunTranscriptFormat.MonitoredTags(agent, tags))
        {
            constraints = constraints.Ban(tag);
        }

        return constraints;
    }
}
