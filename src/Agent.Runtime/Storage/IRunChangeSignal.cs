namespace Agent.Runtime.Storage;

/// <summary>
/// A run store that can tell a waiting worker that runs changed (enqueued, claimed, parked, decided, ended) instead of
/// leaving it to poll: the PostgreSQL store implements it with <c>LISTEN</c>/<c>NOTIFY</c> on the channel
/// <c>agent_runs</c> (payload: the run id), so an idle host wakes as soon as another host enqueues a run or an approval
/// puts one back in the queue. A store without it is polled.
/// </summary>
public interface IRunChangeSignal
{
    /// <summary>Waits until a run changes (through any host) or <paramref name="timeout"/> passes, whichever is first.</summary>
    /// <param name="timeout">The longest wait; callers still poll at this interval, so a notification lost while the listening connection reconnects costs one interval.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when a change was signalled, false when the timeout passed first.</returns>
    Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
