namespace Agent.Runtime.Storage;

/// <summary>
/// The in-process change signal of a run store: the store calls <see cref="Notify"/> after each write it commits, and a
/// reader (the event streams of <c>agent serve</c>) awaits <see cref="Next"/> instead of polling the database.
/// </summary>
/// <remarks>
/// Take <see cref="Next"/> <em>before</em> reading the state it guards, then await it: a write that lands between the
/// read and the await has already completed that task, so no change is missed. The signal covers the writes of this
/// process only; another process writing the same database (the CLI's <c>agent review approve</c> on SQLite, another host
/// on PostgreSQL) is not seen here unless the store relays it (PostgreSQL: <c>LISTEN</c>/<c>NOTIFY</c> calling
/// <see cref="Notify"/>), which is why readers also look again after a slow fallback period.
/// </remarks>
public sealed class RunStoreChanges
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task that completes at the next <see cref="Notify"/>.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Wakes every reader waiting on <see cref="Next"/>; called by the store after a committed write.</summary>
    public void Notify() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
