using System.CommandLine;
using Agent.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.Host.Commands;

/// <summary><c>agent sandbox build|run|exec|clean|bench</c>: the Docker sandboxes tools run in.</summary>
/// <remarks>
/// Exit codes of <c>run</c> and <c>exec</c> follow <c>docker run</c>/<c>docker exec</c>: the command's own exit code
/// passes through, and agent's own failures use codes a command seldom uses for itself, each with one line on stderr
/// that starts with "agent sandbox:": <see cref="CouldNotRun"/> (bad configuration or arguments, no engine, no such
/// sandbox, the sandbox died), <see cref="TimedOut"/> and <see cref="OutOfMemory"/>. Code 2, the other verbs' "bad
/// input", is therefore always the command's own. The other sandbox verbs use the usual 0 / 1 / 2.
/// </remarks>
internal static class SandboxCommand
{
    /// <summary>run/exec: agent could not run the command (as docker's 125).</summary>
    public const int CouldNotRun = 125;

    /// <summary>run/exec: the command ran past its timeout and was killed (as coreutils timeout).</summary>
    public const int TimedOut = 124;

    /// <summary>run/exec: the command was killed at the memory limit (128 + SIGKILL).</summary>
    public const int OutOfMemory = 137;

    private const string ExitCodeHelp =
        " Exits with the command's exit code; agent's own failures exit 125 (could not run it: configuration, engine, sandbox), 124 (timeout) or 137 (memory limit), with a line on stderr starting 'agent sandbox:'.";

    public static Command Create()
    {
        var sandbox = new Command("sandbox", "Docker sandboxes that every tool runs in");
        sandbox.Subcommands.Add(Build());
        sandbox.Subcommands.Add(Run());
        sandbox.Subcommands.Add(Exec());
        sandbox.Subcommands.Add(Clean());
        sandbox.Subcommands.Add(Bench());
        return sandbox;
    }

    private static Command Build()
    {
        var force = new Option<bool>("--force") { Description = "Rebuild even when the build context is unchanged" };
        var command = new Command("build", "Build the sandbox images under sandboxes/ (only those whose build context changed)") { force };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => WithServiceAsync(result, runsCommand: false, async service =>
        {
            foreach (var image in await service.BuildImagesAsync(result.GetValue(force), cancellationToken).ConfigureAwait(false))
            {
                Console.Out.WriteLine(image);
            }

            return 0;
        }));
        return command;
    }

    private static Command Run()
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the sandbox after the command (remove it with `agent sandbox clean`)" };
        var name = new Option<string?>("--name") { Description = "Name of the kept sandbox, for `agent sandbox exec` (with --keep)" };
        var timeout = TimeoutOption();
        var argv = CommandArgument();
        var command = new Command("run", "Run a command in a fresh sandbox: agent sandbox run -- sh -c 'echo hi'." + ExitCodeHelp) { keep, name, timeout, argv };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => WithServiceAsync(result, runsCommand: true, async service =>
        {
            var keepIt = result.GetValue(keep);
            var runId = "cli-" + Guid.NewGuid().ToString("N")[..12];
            await using var box = keepIt
                ? await service.CreateDetachedAsync(result.GetValue(name) ?? runId, cancellationToken).ConfigureAwait(false)
                : await service.GetOrCreateAsync(runId, cancellationToken).ConfigureAwait(false);
            if (keepIt)
            {
                await Console.Error.WriteLineAsync($"sandbox {box.RunId} kept ({box.ContainerId[..12]})").ConfigureAwait(false);
            }

            return await ExecToConsoleAsync(box, result.GetRequiredValue(argv), result.GetValue(timeout), cancellationToken).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command Exec()
    {
        var target = new Argument<string>("sandbox") { Description = "Name or id of a running sandbox (see `agent sandbox run --keep --name`)" };
        var timeout = TimeoutOption();
        var argv = CommandArgument();
        var command = new Command("exec", "Run a command in an existing sandbox: agent sandbox exec NAME -- ls -la." + ExitCodeHelp) { target, timeout, argv };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => WithServiceAsync(result, runsCommand: true, async service =>
        {
            await using var box = await service.AttachAsync(result.GetRequiredValue(target), cancellationToken).ConfigureAwait(false);
            return await ExecToConsoleAsync(box, result.GetRequiredValue(argv), result.GetValue(timeout), cancellationToken).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command Clean()
    {
        var all = new Option<bool>("--all") { Description = "Also remove the sandboxes of every other installation (other folders, hosts or versions of agent) on this Docker engine" };
        var command = new Command("clean", "Remove every sandbox container and workspace of this installation, from any of its processes, live or not") { all };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => WithServiceAsync(result, runsCommand: false, async service =>
        {
            var removed = await service.RemoveAllAsync(result.GetValue(all), cancellationToken).ConfigureAwait(false);
            Console.Out.WriteLine($"removed {removed} sandbox containers");
            return 0;
        }));
        return command;
    }

    private static Command Bench()
    {
        var iterations = new Option<int>("--iterations") { Description = "Execs per warm series (cold series: a fifth, at least 5)", DefaultValueFactory = _ => 100 };
        var command = new Command("bench", "Latency of docker-CLI exec vs library exec into a warm sandbox vs cold create+start+exec+remove") { iterations };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) =>
            WithServiceAsync(result, runsCommand: false, service => SandboxBenchmark.RunAsync(service, result.GetValue(iterations), cancellationToken)));
        return command;
    }

    private static Option<int?> TimeoutOption() => new("--timeout") { Description = "Exec timeout in seconds (default Sandbox:ExecTimeoutSeconds)" };

    private static Argument<string[]> CommandArgument() => new("command")
    {
        Description = "The command and its arguments, after --",
        Arity = ArgumentArity.OneOrMore,
    };

    private static async Task<int> ExecToConsoleAsync(ISandbox box, string[] argv, int? timeoutSeconds, CancellationToken cancellationToken)
    {
        var request = new SandboxExecRequest(argv[0], argv.Skip(1))
        {
            Timeout = timeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        };
        var result = await box.ExecAsync(request, cancellationToken).ConfigureAwait(false);
        await Console.Out.WriteAsync(result.StandardOutput).ConfigureAwait(false);
        await Console.Error.WriteAsync(result.StandardError).ConfigureAwait(false);
        if (result.Truncated)
        {
            await Console.Error.WriteLineAsync(
                $"[output truncated: stdout {result.StandardOutputCapture.TotalBytes} bytes, stderr {result.StandardErrorCapture.TotalBytes} bytes; Sandbox:MaxOutputBytes keeps the first bytes]").ConfigureAwait(false);
        }

        return result.ExitCode;
    }

    /// <summary>
    /// Builds the sandbox service from appsettings.json (+ environment), runs <paramref name="action"/>, and maps typed
    /// failures to exit codes: for a verb that <paramref name="runsCommand"/>, agent's own failures get the codes of
    /// <see cref="CouldNotRun"/>, <see cref="TimedOut"/> and <see cref="OutOfMemory"/>, so that they never read as the
    /// command's; the other verbs use <see cref="ExitCodes"/>.
    /// </summary>
    private static async Task<int> WithServiceAsync(ParseResult parseResult, bool runsCommand, Func<ISandboxService, Task<int>> action)
    {
        try
        {
            var builder = AgentHost.CreateBuilder(parseResult);
            builder.Configuration["Sandbox:WarmPoolSize"] = "0"; // one-off commands need no warm pool
            AgentHost.AddSandboxes(builder);
            using var host = builder.Build();
            return await action(host.Services.GetRequiredService<ISandboxService>()).ConfigureAwait(false);
        }
        catch (Exception e) when (runsCommand && (e is OptionsValidationException or ConfigurationException or ArgumentException))
        {
            await Console.Error.WriteLineAsync("agent sandbox: " + (e is OptionsValidationException ? "appsettings.json is invalid: " : "") + e.Message).ConfigureAwait(false);
            return CouldNotRun;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync("appsettings.json is invalid: " + e.Message).ConfigureAwait(false);
            return ExitCodes.UserError;
        }
        catch (SandboxExecTimeoutException e)
        {
            await WritePartialAsync(e.PartialOutput).ConfigureAwait(false);
            await Console.Error.WriteLineAsync("agent sandbox: " + e.Message).ConfigureAwait(false);
            return runsCommand ? TimedOut : ExitCodes.Failed;
        }
        catch (SandboxOutOfMemoryException e)
        {
            await WritePartialAsync(e.PartialOutput).ConfigureAwait(false);
            await Console.Error.WriteLineAsync("agent sandbox: " + e.Message).ConfigureAwait(false);
            return runsCommand ? OutOfMemory : ExitCodes.Failed;
        }
        catch (SandboxException e)
        {
            await Console.Error.WriteLineAsync("agent sandbox: " + e.Message).ConfigureAwait(false);
            return runsCommand ? CouldNotRun
                : e is DockerUnavailableException or DockerApiVersionException or SandboxNetworkNotFoundException ? ExitCodes.UserError
                : ExitCodes.Failed;
        }
    }

    /// <summary>What a killed command wrote before the kill.</summary>
    private static async Task WritePartialAsync(SandboxExecResult partial)
    {
        await Console.Out.WriteAsync(partial.StandardOutput).ConfigureAwait(false);
        await Console.Error.WriteAsync(partial.StandardError).ConfigureAwait(false);
    }
}
