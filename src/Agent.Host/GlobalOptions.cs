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

    /// <summary>
    /// <c>--settings FILE</c>, repeatable: a JSON file of settings in appsettings.json's shape, layered over
    /// appsettings.json in the order given (the environment and <c>--set</c> still override it), e.g. the policy fragment
    /// <c>agent audit --policy-out</c> writes.
    /// </summary>
    public static readonly Option<string[]> Settings = new("--settings")
    {
        Description = "Layer a JSON settings file over appsettings.json, e.g. the fragment 'agent audit --policy-out' writes (repeatable; --set still overrides it)",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };
}
