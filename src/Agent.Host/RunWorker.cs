using Agent.Runtime;
using Agent.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Host;

/// <summary>
/// The service's worker: Agent:ConcurrentRuns consumers take runs from the durable queue and run them on the one
/// loaded model (each run on its own decoder sequence). Start-up (schema, taking back runs of a crashed process,
/// settling the sandboxes a killed process left running) is done in <see cref="StartAsync"/>; <see cref="ExecuteAsync"/>
/// only consumes. At shutdown a running run stops before its next model step (a running tool finishes first) and goes
/// back in the queue with its workspace saved, so nothing is lost. The runner itself saves, restores and releases
/// workspaces and sandboxes (<see cref="IRunWorkspaces"/>). Several hosts may share one PostgreSQL run store: each
/// dequeue takes a queued run or one whose worker's lease expired (a killed host), and the runner renews the lease
/// while it runs (<c>Storage:LeaseSeconds</c>).
/// </summary>
internal sealed partial class RunWorker(IRunStore store, IAgentRunner runner, IRunWorkspaces workspaces, IOptions<AgentOptions> options, ILogger<RunWorker> logger) : BackgroundService
{
    private static readonly TimeSpan s_idlePoll = TimeSpan.FromMilliseconds(500);
    // Unique per process start: a restarted host whose pid is reused must not pass for the dead one that held a lease.
    private readonly string _owner = $"serve-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await workspaces.CheckFolderAsync(cancellationToken).ConfigureAwait(false);
        var taken = await store.RequeueExpiredAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var settled = await workspaces.ReconcileAsync(cancellationToken).ConfigureAwait(false);
            if (settled > 0)
            {
                LogSettled(logger, settled);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // No engine now: the runs that need a sandbox fail or wait as they would anyway; the service starts.
            LogSettleFailed(logger, e, e.Message);
        }

        LogStarted(logger, _owner, options.Value.ConcurrentRuns, taken);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.ConcurrentRuns).Select(_ => ConsumeAsync(stoppingToken)));

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var run = await store.DequeueAsync(_owner, stoppingToken).ConfigureAwait(false);
                if (run is null)
                {
                    // PostgreSQL wakes an idle worker as soon as any host enqueues a run or an approval queues one again.
                    if (store is IRunChangeSignal changes)
                    {
                        await changes.WaitForChangeAsync(s_idlePoll, stoppingToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await Task.Delay(s_idlePoll, stoppingToken).ConfigureAwait(false);
                    }

                    continue;
                }

                await runner.RunAsync(run.Id, _owner, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One failing run or a store hiccup (full disk, lock timeout) must not stop the service: log and go on.
                LogConsumerError(logger, e, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Worker {Owner} consumes the run queue with {Consumers} concurrent runs; {Requeued} runs of a stopped process were put back")]
    private static partial void LogStarted(ILogger logger, string owner, int consumers, int requeued);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Settled {Count} sandboxes that a killed process left running (saved parked runs' workspaces, removed ended runs' sandboxes)")]
    private static partial void LogSettled(ILogger logger, int count);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Could not look for sandboxes a killed process left running: {Reason}")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "The worker could not take or finish a run: {Reason}")]
    private static partial void LogConsumerError(ILogger logger, Exception exception, string reason);
}
