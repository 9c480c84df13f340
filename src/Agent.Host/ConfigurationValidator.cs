using Agent.Decoding;
using Agent.Llama;
using Agent.Runtime;
using Agent.Runtime.Policy;
using Agent.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Host;

/// <summary>
/// The one validation step every verb goes through before its work (<see cref="AgentHost.CreateBuilder(string, IReadOnlyList{string})"/>
/// calls it): every section this program reads is bound and validated in full, whichever verb runs, so a typo in a
/// section the verb does not use still stops it with one line naming the key (left to the verb, an unknown Sandbox key
/// aborted <c>agent sandbox run</c> with a stack trace while <c>agent info</c> accepted it).
/// </summary>
internal static class ConfigurationValidator
{
    /// <summary>The sections this program binds, with the options type of each; Serilog reads its own section.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [LlamaOptions.Section] = typeof(LlamaOptions),
        [TagOptions.Section] = typeof(TagOptions),
        [AgentOptions.Section] = typeof(AgentOptions),
        [PolicyOptions.Section] = typeof(PolicyOptions),
        [StorageOptions.Section] = typeof(StorageOptions),
        [SandboxOptions.SectionName] = typeof(SandboxOptions),
        [HttpOptions.Section] = typeof(HttpOptions),
        [TelemetryOptions.Section] = typeof(TelemetryOptions),
        [ClassifierOptions.Section] = typeof(ClassifierOptions),
    };

    /// <summary>Checks every key and value of every section.</summary>
    /// <param name="configuration">The configuration as the verb will read it (file, environment, <c>--set</c>).</param>
    /// <param name="settingsFile">appsettings.json, named in messages.</param>
    /// <param name="contentRoot">The folder relative paths are resolved against.</param>
    /// <exception cref="ConfigurationException">A key is unknown or a value is invalid; the message names the key.</exception>
    public static void Validate(IConfiguration configuration, string settingsFile, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var (name, type) in Sections)
        {
            var section = configuration.GetSection(name);
            if (ConfigurationKeys.Unknown(section, type).FirstOrDefault() is { } unknown)
            {
                throw new ConfigurationException(UnknownKeyMessage(unknown, type, settingsFile));
            }
        }

        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        AddAll(services, configuration, contentRoot);
        using var provider = services.BuildServiceProvider();
        AgentHost.ValidateRuntimeOptions(provider);
    }

    /// <summary>Registers every section's options with its validators, as the verbs do.</summary>
    private static void AddAll(IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        AgentHost.AddValidatedOptions<LlamaOptions>(services, LlamaOptions.Section);
        AgentHost.AddValidatedOptions<TagOptions>(services, TagOptions.Section);
        AgentHost.AddValidatedOptions<AgentOptions>(services, AgentOptions.Section);
        AgentHost.AddValidatedOptions<StorageOptions>(services, StorageOptions.Section);
        AgentHost.AddValidatedOptions<PolicyOptions>(services, PolicyOptions.Section);
        AgentHost.AddValidatedOptions<HttpOptions>(services, HttpOptions.Section);
        AgentHost.AddValidatedOptions<TelemetryOptions>(services, TelemetryOptions.Section);
        AgentHost.AddValidatedOptions<ClassifierOptions>(services, ClassifierOptions.Section);
        services.AddPolicyValidation();
        services.AddSandboxes(configuration);
        services.PostConfigure<SandboxOptions>(o => o.ImagesDirectory = AgentConfiguration.ResolvePath(contentRoot, o.ImagesDirectory));
    }

    private static string UnknownKeyMessage(string path, Type sectionType, string settingsFile)
    {
        var parts = path.Split(ConfigurationPath.KeyDelimiter);
        return $"Unknown key '{path}' in {settingsFile} (or its environment or --set overrides); {ConfigurationKeys.DescribeKeysBelow(parts[0], sectionType, parts[1..^1])}.";
    }
}
