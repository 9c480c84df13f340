using System.CommandLine;
using Agent.Host.Commands;

namespace Agent.Host;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("agent: a scaffolded agent runtime with tag-gated actions");
        // Each verb group lives in Commands/<Verb>Command.cs and is added here, one line each.
        foreach (var command in CommandCatalog.All())
        {
            root.Subcommands.Add(command);
        }

        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
