namespace Agent.Runtime.Storage;

/// <summary>
/// The durable state of the runtime: runs (and the queue they wait in), the step journal, the blocked-action log and
/// the approvals it holds. Every method is one transaction.
/// </summary>
public interface IRunStore
{
    /// <summary>
    /// Signalled after every write this store commits that changes what a reader sees (runs, steps, the log and its
    /// decisions; not lease renewals), so readers wait on it rather than poll.
    /// </summary>
    RunStoreChanges Changes { get; }

    /// <summary>Creates or migrates the schema.</summary>
    /// <exception cref="RunStoreException">The database cannot be opened or written.</exception>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds a queued run.</summary>
    Task<RunRecord> EnqueueAsync(string task, string model, CancellationToken cancellationToken = default);

    /// <summary>A run, or null.</summary>
    Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Runs, newest first.</summary>
    Task<IReadOnlyList<RunRecord>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Claims the oldest queued run for <paramref name="owner"/>, or returns null when none is queued.</summary>
    Task<RunRecord?> DequeueAsync(string owner, CancellationToken cancellationToken = default);

    /// <summary>Claims one run (queued, or running with an expired lease); false when another worker holds it or it is parked or ended.</summary>
    Task<bool> TryClaimAsync(string runId, string owner, CancellationToken cancellationToken = default);

    /// <summary>Extends <paramref name="owner"/>'s claim; false when it lost the run.</summary>
    Task<bool> RenewLeaseAsync(string runId, string owner, CancellationToken cancellationToken = default);

    /// <summary>Puts runs whose worker's lease has expired (a crashed process) back in the queue; returns how many.</summary>
    Task<int> RequeueExpiredAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes a run's status, answer, reason and counters (and drops the lease when it is no longer running).</summary>
    Task UpdateRunAsync(RunRecord run, CancellationToken cancellationToken = default);

    /// <summary>The journal of a run, in step order.</summary>
    Task<IReadOnlyList<StepRecord>> GetStepsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces a step.</summary>
    Task SaveStepAsync(StepRecord record, CancellationToken cancellationToken = default);

    /// <summary>Removes a step that never got past <see cref="StepStatus.Proposed"/>.</summary>
    Task DeleteProposedStepAsync(string runId, int stepNumber, CancellationToken cancellationToken = default);

    /// <summary>Marks a step <see cref="StepStatus.Started"/> and appends an execution attempt, in one transaction, before the tool runs.</summary>
    Task MarkStartedAsync(StepRecord record, CancellationToken cancellationToken = default);

    /// <summary>How many times a tool execution was started for a run (and step <paramref name="stepNumber"/>): the exactly-once evidence.</summary>
    Task<int> CountExecutionsAsync(string runId, int? stepNumber = null, CancellationToken cancellationToken = default);

    /// <summary>Stores a blocked or escalated action's log entry and its step, in one transaction; returns the entry with its id.</summary>
    Task<ActionLogEntry> RecordGateEntryAsync(ActionLogEntry entry, StepRecord record, CancellationToken cancellationToken = default);

    /// <summary>A log entry, or null.</summary>
    Task<ActionLogEntry?> GetLogEntryAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Log entries, newest first.</summary>
    Task<IReadOnlyList<ActionLogEntry>> QueryLogAsync(LogQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Decides a pending approval and puts its parked run back in the queue, in one transaction. The decision binds to the
    /// entry's tool and arguments hash; the resumed run executes exactly that call (approve) or tells the model (deny).
    /// </summary>
    /// <exception cref="ApprovalException">No such entry, it is not an escalation, or it is already decided.</exception>
    Task<ActionLogEntry> DecideAsync(long id, bool approve, string reviewer, string? reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Puts <paramref name="runId"/> back in the queue when it is parked on approval <paramref name="logEntryId"/> and that
    /// approval is already decided: the runner calls it right after it wrote <c>parked</c>, for a decision that landed
    /// before the run was parked (which <see cref="DecideAsync"/> could not requeue). Idempotent with
    /// <see cref="DecideAsync"/>: whichever comes second finds the run no longer parked on that approval and does nothing.
    /// </summary>
    /// <returns>True when this call queued the run.</returns>
    Task<bool> RequeueDecidedAsync(string runId, long logEntryId, CancellationToken cancellationToken = default);
}
