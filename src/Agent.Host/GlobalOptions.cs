using System.CommandLine;

namespace Agent.Host;

/// <summary>Options every verb accepts.</summary>
internal static class GlobalOptions
{
    /// <summary><c>--set Section:Key=value</c>, repeatable: overrides appsettings.json and the environment.</summary>
    public static readonly Option<string[]> Set = new("--set")
    {
        Description = "Override a setting, e.g. --set Llama:Backend=cuda (repeatable)",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };
}
