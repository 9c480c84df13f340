using System.CommandLine;
using Agent.Decoding;
using Agent.Llama;
using Agent.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serilog;

namespace Agent.Host;

/// <summary>
/// The composition root: the only place that wires dependency injection. Every verb builds its host here, so
/// configuration is found, bound and validated (unknown keys included) the same way for all of them.
/// </summary>
internal static partial class AgentHost
{
    /// <summary>Creates the host builder for a verb, after the whole configuration has been validated (<see cref="ConfigurationValidator"/>).</summary>
    /// <exception cref="ConfigurationException">appsettings.json is missing or malformed, or a section has an unknown key or an invalid value.</exception>
    public static HostApplicationBuilder CreateBuilder(ParseResult parseResult) =>
        CreateBuilder(AgentConfiguration.FindSettingsFile(), parseResult.GetValue(GlobalOptions.Set) ?? [], parseResult.GetValue(GlobalOptions.Settings) ?? []);

    /// <summary>Creates the host builder over a given appsettings.json and <c>--set</c> overrides (the verbs, and tests that start a verb's host in-process).</summary>
    /// <exception cref="ConfigurationException">The file is malformed, or a section has an unknown key or an invalid value.</exception>
    public static HostApplicationBuilder CreateBuilder(string settingsFile, IReadOnlyList<string> overrides) => CreateBuilder(settingsFile, overrides, []);

    /// <summary>Creates the host builder over a given appsettings.json, <c>--settings</c> files layered over it, and <c>--set</c> overrides.</summary>
    /// <exception cref="ConfigurationException">A file is missing or malformed, or a section has an unknown key or an invalid value.</exception>
    public static HostApplicationBuilder CreateBuilder(string settingsFile, IReadOnlyList<string> overrides, IReadOnlyList<string> layers)
    {
        var configuration = AgentConfiguration.Build(settingsFile, overrides, layers);
        var contentRoot = Path.GetDirectoryName(settingsFile)!;
        ConfigurationValidator.Validate(configuration, settingsFile, contentRoot);

        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = contentRoot,
            DisableDefaults = true,
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddSerilog((_, logger) => logger.ReadFrom.Configuration(builder.Configuration));
        builder.Services.AddSingleton(new AgentPaths(settingsFile, contentRoot));

        AddValidatedOptions<LlamaOptions>(builder.Services, LlamaOptions.Section);
        AddValidatedOptions<TagOptions>(builder.Services, TagOptions.Section);
        return builder;
    }

    /// <summary>Adds the Docker sandboxes; a relative Sandbox:ImagesDirectory is relative to appsettings.json's folder.</summary>
    public static void AddSandboxes(HostApplicationBuilder builder)
    {
        builder.Services.AddSandboxes(builder.Configuration);
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.PostConfigure<SandboxOptions>(o => o.ImagesDirectory = AgentConfiguration.ResolvePath(contentRoot, o.ImagesDirectory));
    }

    /// <summary>Binds a section with unknown keys as errors, validates data annotations, and validates at start.</summary>
    public static void AddValidatedOptions<T>(IServiceCollection services, string section)
        where T : class
    {
        services.AddOptions<T>()
            .BindConfiguration(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }

    /// <summary>Reads an options value now, turning binding and validation failures into one clear message.</summary>
    /// <exception cref="ConfigurationException">The section has an unknown key or an invalid value.</exception>
    public static T Options<T>(IServiceProvider services, string section)
        where T : class
    {
        try
        {
            return services.GetRequiredService<IOptions<T>>().Value;
        }
        catch (OptionsValidationException e)
        {
            throw new ConfigurationException($"appsettings.json section '{section}' is invalid: {string.Join(" ", e.Failures)}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException($"appsettings.json section '{section}': {e.Message}", e);
        }
    }

    /// <summary>Loads llama.cpp as the Llama section says, with its log routed to Serilog.</summary>
    public static LlamaRuntimeInfo InitializeLlama(IServiceProvider services)
    {
        var options = Options<LlamaOptions>(services, LlamaOptions.Section);
        var loggers = services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>();
        return LlamaRuntime.Initialize(options, loggers);
    }
}
