using System.ComponentModel;
using Agent.Sandbox;
using Microsoft.SemanticKernel;

namespace Agent.Plugins.Shell;

/// <summary>
/// The <c>shell</c> plugin: <c>shell.run</c> runs a command line with <c>sh -c</c> inside the run's Docker sandbox
/// (never on the host). It knows nothing of tags or policy; the action gate decides before it runs.
/// </summary>
public sealed class ShellPlugin
{
    /// <summary>The plugin name in transcripts (<c>shell.run</c>).</summary>
    public const string Name = "shell";

    private readonly ISandboxService _sandboxes;
    private readonly string _runId;

    /// <summary>Creates the plugin of one run.</summary>
    public ShellPlugin(ISandboxService sandboxes, string runId)
    {
        ArgumentNullException.ThrowIfNull(sandboxes);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        _sandboxes = sandboxes;
        _runId = runId;
    }

    /// <summary>Runs a shell command in the sandbox workspace.</summary>
    /// <exception cref="ArgumentException">The command is empty.</exception>
    /// <exception cref="SandboxExecTimeoutException">It ran past Sandbox:ExecTimeoutSeconds; the action gate shows the model what it wrote before the kill, exit code 124, and why.</exception>
    /// <exception cref="SandboxOutOfMemoryException">The kernel killed it at Sandbox:MemoryLimitMiB; the action gate shows the model what it wrote before the kill, exit code 137, and why.</exception>
    /// <exception cref="SandboxContainerDiedException">The sandbox died.</exception>
    [KernelFunction("run"), Description("Run a shell command (sh -c) in the sandbox workspace; returns exit code, stdout and stderr.")]
    public async Task<SandboxExecResult> RunAsync(
        [Description("The shell command line, e.g. 'ls -la' or 'wc -l notes.txt'.")] string command,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            throw new ArgumentException("'command' is empty: give a shell command line such as 'ls'.", nameof(command));
        }

        var sandbox = await _sandboxes.GetOrCreateAsync(_runId, cancellationToken).ConfigureAwait(false);
        return await sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", command), cancellationToken).ConfigureAwait(false);
    }
}
