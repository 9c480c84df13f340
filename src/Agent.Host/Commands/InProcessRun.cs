using Agent.Runtime;
using Agent.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Host.Commands;

/// <summary>
/// The in-process path of <c>agent run</c>, shared with <c>agent bench runtime</c>: enqueue a task (or take a stored run
/// back), claim it, and run it until it ends or parks for a person (the runner saves a parked run's workspace and
/// releases a finished run's sandbox).
/// </summary>
internal static class InProcessRun
{
    /// <summary>Runs a new task (<paramref name="task"/>) or resumes a stored run (<paramref name="resumeId"/>) in this process; the store must be initialised.</summary>
    /// <returns>The run as stored afterwards and its report (the <c>agent run --json</c> contract).</returns>
    /// <exception cref="ArgumentException">No such run, or another worker holds it.</exception>
    public static async Task<(RunRecord Run, RunReport Report)> ExecuteAsync(IServiceProvider services, string? task, string? resumeId, CancellationToken cancellationToken = default)
    {
        var store = services.GetRequiredService<IRunStore>();
        var source = services.GetRequiredService<IAgentStepSource>();
        var runId = resumeId ?? (await store.EnqueueAsync(task!, source.ModelName, cancellationToken).ConfigureAwait(false)).Id;
        var owner = $"cli-{Environment.MachineName}-{Environment.ProcessId}";
        if (!await store.TryClaimAsync(runId, owner, cancellationToken).ConfigureAwait(false))
        {
            var current = await store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
                ?? throw new ArgumentException($"No run '{runId}' in the run store.");
            if (!current.IsTerminal && current.Status != RunStatus.Parked)
            {
                throw new ArgumentException($"Run '{runId}' is {current.Status} and held by {current.LeaseOwner}; wait for its lease to expire (Storage:LeaseSeconds).");
            }
        }

        var run = await services.GetRequiredService<IAgentRunner>().RunAsync(runId, owner, cancellationToken).ConfigureAwait(false);

        return (run, RunReport.From(run, await store.GetStepsAsync(run.Id, CancellationToken.None).ConfigureAwait(false)));
    }
}
