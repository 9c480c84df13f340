using Agent.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Agent.Runtime;

/// <summary>
/// Keeps a worker's claim on the run it executes: renews the lease every third of <c>Storage:LeaseSeconds</c> while the
/// run goes on, so another host takes the run over only when this one stops renewing (killed, hung, cut off from the
/// database). When a renewal finds the run held by another worker, <see cref="Token"/> is cancelled and
/// <see cref="Lost"/> is set: the runner then stops without writing anything more.
/// </summary>
internal sealed partial class RunLease : IAsyncDisposable
{
    private readonly IRunStore _store;
    private readonly string _runId;
    private readonly string _owner;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _run;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewals;
    private volatile bool _lost;

    private RunLease(IRunStore store, string runId, string owner, TimeSpan every, ILogger logger, CancellationToken cancellationToken)
    {
        _store = store;
        _runId = runId;
        _owner = owner;
        _logger = logger;
        _run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _renewals = RenewAsync(every);
    }

    /// <summary>Cancelled when the caller cancels or the lease is lost.</summary>
    public CancellationToken Token => _run.Token;

    /// <summary>Whether another worker took the run over.</summary>
    public bool Lost => _lost;

    /// <summary>Starts renewing <paramref name="owner"/>'s lease on <paramref name="runId"/> every <paramref name="every"/>.</summary>
    public static RunLease Start(IRunStore store, string runId, string owner, TimeSpan every, ILogger logger, CancellationToken cancellationToken) =>
        new(store, runId, owner, every, logger, cancellationToken);

    /// <summary>Stops renewing (the run has stopped, or is about to be written for the last time).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewals.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _run.Dispose();
    }

    private async Task RenewAsync(TimeSpan every)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, _stop.Token).ConfigureAwait(false);
                if (!await _store.RenewLeaseAsync(_runId, _owner, _stop.Token).ConfigureAwait(false))
                {
                    var run = await _store.GetRunAsync(_runId, _stop.Token).ConfigureAwait(false);
                    if (run is { Status: RunStatus.Running } && run.LeaseOwner != _owner)
                    {
                        _lost = true;
                        LogLost(_logger, _runId, _owner, run.LeaseOwner);
                        await _run.CancelAsync().ConfigureAwait(false);
                        return;
                    }

                    // Parked, ended or requeued by this worker itself between two renewals: nothing to keep.
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (RunStoreException e)
            {
                // The database is away for a moment: keep trying until the lease runs out; the next owner's takeover
                // (and this worker's fenced writes) settle who holds the run.
                LogRenewFailed(_logger, e, _runId, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 220, Level = LogLevel.Error, Message = "Run {RunId} was taken over by {NewOwner} while {Owner} ran it (this worker could not renew its lease in time); this worker stops it and writes nothing more")]
    private static partial void LogLost(ILogger logger, string runId, string owner, string? newOwner);

    [LoggerMessage(EventId = 221, Level = LogLevel.Warning, Message = "Could not renew the lease of run {RunId}: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string runId, string reason);
}
