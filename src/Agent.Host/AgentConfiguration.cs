using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Agent.Host;

/// <summary>
/// Finds and loads appsettings.json: the file named by AGENT_CONFIG, else ./appsettings.json, else the repository's
/// (recorded at build time, used only by a binary inside that repository), else the one beside the program (a published folder). Environment variables (<c>Llama__Backend=cuda</c>) and <c>--set Key:Path=value</c> override it.
/// Relative paths in it are relative to its folder (the content root).
/// </summary>
internal static class AgentConfiguration
{
    /// <summary>
    /// Top-level sections this program reads (those <see cref="ConfigurationValidator"/> binds, and Serilog's own); anything
    /// else is a typo and fails at start. (Decoding and Training were once accepted here though nothing read them, so
    /// their keys were silently ignored.)
    /// </summary>
    public static readonly IReadOnlySet<string> KnownSections = new HashSet<string>(ConfigurationValidator.Sections.Keys.Append("Serilog"), StringComparer.OrdinalIgnoreCase);

    /// <summary>The environment variable that names appsettings.json.</summary>
    public const string ConfigFileVariable = "AGENT_CONFIG";

    /// <summary>The file that is loaded.</summary>
    public static string FindSettingsFile()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(ConfigFileVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            var full = Path.GetFullPath(fromEnvironment);
            return File.Exists(full)
                ? full
                : throw new ConfigurationException($"AGENT_CONFIG names '{full}', which does not exist.");
        }

        var local = Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");
        if (File.Exists(local))
        {
            return local;
        }

        // A binary built inside a checkout uses the checkout's file (its models/ and sandboxes/ are there, not in bin/). A
        // published binary has no checkout baked in, and a copy that runs outside the checkout ignores it: both use the
        // file beside them, which publish ships with models/ and sandboxes/.
        var beside = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var root = typeof(AgentConfiguration).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "AgentRepositoryRoot")?.Value;
        if (root is not null && IsInside(AppContext.BaseDirectory, root) && File.Exists(Path.Combine(root, "appsettings.json")))
        {
            return Path.Combine(root, "appsettings.json");
        }

        return File.Exists(beside)
            ? beside
            : throw new ConfigurationException($"No appsettings.json found: set AGENT_CONFIG to its path, run 'agent' from the folder that holds it, or put it beside the program ({AppContext.BaseDirectory}).");
    }

    private static bool IsInside(string path, string folder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(path).StartsWith(full, StringComparison.Ordinal);
    }

    /// <summary>Builds the configuration: file, then environment, then --set overrides.</summary>
    public static IConfigurationRoot Build(string settingsFile, IReadOnlyList<string> overrides) => Build(settingsFile, overrides, []);

    /// <summary>
    /// Builds the configuration: file, then each <c>--settings</c> file in order (paths relative to the current folder;
    /// reloaded when edited, as appsettings.json is), then environment, then --set overrides.
    /// </summary>
    /// <exception cref="ConfigurationException">A file is missing or not valid JSON, or names an unknown section.</exception>
    public static IConfigurationRoot Build(string settingsFile, IReadOnlyList<string> overrides, IReadOnlyList<string> layers)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(Path.GetDirectoryName(settingsFile)!)
            .AddJsonFile(Path.GetFileName(settingsFile), optional: false, reloadOnChange: true);
        foreach (var layer in layers)
        {
            var full = Path.GetFullPath(layer);
            if (!File.Exists(full))
            {
                throw new ConfigurationException($"--settings '{layer}' does not exist ('{full}'): give the path of a JSON settings file, such as one 'agent audit --policy-out' wrote.");
            }

            builder.AddJsonFile(new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(full)!), Path.GetFileName(full), optional: false, reloadOnChange: true);
        }

        builder
            .AddEnvironmentVariables(prefix: "AGENT_")
            .AddInMemoryCollection(ParseOverrides(overrides));
        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (FormatException e)
        {
            throw new ConfigurationException($"'{settingsFile}'{LayersText(layers)} is not valid JSON: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new ConfigurationException($"'{settingsFile}'{LayersText(layers)} is not valid JSON: {e.Message}", e);
        }

        foreach (var section in configuration.GetChildren())
        {
            // AGENT_CONFIG names this file; through the AGENT_ environment prefix it also arrives as the key "CONFIG".
            var isConfigFileVariable = section.Key.Equals(ConfigFileVariable["AGENT_".Length..], StringComparison.OrdinalIgnoreCase) && section.Value is not null;
            if (!isConfigFileVariable && !KnownSections.Contains(section.Key))
            {
                throw new ConfigurationException(
                    $"Unknown section '{section.Key}' in {settingsFile} (or its overrides). Known sections: {string.Join(", ", KnownSections.Order(StringComparer.Ordinal))}.");
            }
        }

        return configuration;
    }

    private static string LayersText(IReadOnlyList<string> layers) => layers.Count == 0 ? string.Empty : $" (or --settings {string.Join(", ", layers.Select(l => $"'{l}'"))})";

    /// <summary>Resolves a path from configuration against the folder of appsettings.json.</summary>
    public static string ResolvePath(string contentRoot, string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(contentRoot, path));

    private static IEnumerable<KeyValuePair<string, string?>> ParseOverrides(IReadOnlyList<string> overrides)
    {
        foreach (var item in overrides)
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ConfigurationException($"--set '{item}' must look like Section:Key=value (e.g. --set Llama:Backend=cuda).");
            }

            yield return new KeyValuePair<string, string?>(item[..equals].Trim(), item[(equals + 1)..]);
        }
    }
}
