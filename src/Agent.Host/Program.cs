using System.CommandLine;
using Agent.Host.Commands;
using Serilog;

namespace Agent.Host;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Bootstrap logger until a verb's host reads the Serilog section; errors before that still reach stderr.
        Log.Logger = new LoggerConfiguration().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateBootstrapLogger();
        try
        {
            var root = new RootCommand("agent: a scaffolded agent runtime with tag-gated actions");
            root.Options.Add(GlobalOptions.Set);
            root.Options.Add(GlobalOptions.Settings);
            foreach (var command in CommandCatalog.All())
            {
                root.Subcommands.Add(command);
            }

            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            return await root.Parse(args).InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (Exception e) when (ExitCodes.IsUserError(e))
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.UserError;
        }
        finally
        {
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
        }
    }
}
