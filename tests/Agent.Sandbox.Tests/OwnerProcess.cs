using System.Diagnostics;

namespace Agent.Sandbox.Tests;

/// <summary>
/// Another live OS process that owns sandboxes on the shared daemon (this test assembly run as <c>owner RUN_ID</c>, see
/// <see cref="Program"/>): a pooled container handed to <see cref="RunId"/> and a refilled warm-pool container.
/// </summary>
internal sealed class OwnerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private OwnerProcess(Process process, string runId, string owner, string runContainerId)
    {
        _process = process;
        RunId = runId;
        Owner = owner;
        RunContainerId = runContainerId;
    }

    public string RunId { get; }

    /// <summary>The owner label the child wrote on its containers.</summary>
    public string Owner { get; }

    /// <summary>The container the child handed to <see cref="RunId"/> from its warm pool.</summary>
    public string RunContainerId { get; }

    public int ProcessId => _process.Id;

    public static async Task<OwnerProcess> StartAsync(CancellationToken cancellationToken)
    {
        var runId = "cross-" + Guid.NewGuid().ToString("N")[..12];
        var process = Process.Start(new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "owner", runId])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        string? owner = null;
        string? container = null;
        try
        {
            while (owner is null || container is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(90), cancellationToken);
                if (line is null)
                {
                    await process.WaitForExitAsync(cancellationToken);
                    throw new InvalidOperationException($"the owner process exited ({process.ExitCode}) before it was ready: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
                }

                if (line.StartsWith("owner ", StringComparison.Ordinal))
                {
                    owner = line["owner ".Length..];
                }
                else if (line.StartsWith("run ", StringComparison.Ordinal))
                {
                    container = line["run ".Length..];
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }

        return new OwnerProcess(process, runId, owner, container);
    }

    /// <summary>SIGKILL, as a crash: the child removes nothing.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Lets a live child stop cleanly (it removes its own containers), or reaps a killed one.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            await _process.StandardInput.WriteLineAsync("stop");
            await _process.StandardInput.FlushAsync();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
