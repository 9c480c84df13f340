using System.Data.Common;
using System.Globalization;
using Agent.Runtime.Policy;

namespace Agent.Runtime.Storage;

/// <summary>
/// What the SQLite and PostgreSQL run stores share: every statement of the queue, the journal, the action log and
/// approvals, written once in the SQL both engines run (<c>INSERT .. ON CONFLICT .. DO UPDATE</c>, <c>RETURNING</c>,
/// <c>LIMIT</c>, a <c>CAST</c> on every optional parameter so PostgreSQL can type a null), over plain column types
/// (<see cref="RunStoreSchema"/>). An engine supplies its connections, its schema check and migration, the lock clause
/// of the dequeue (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL; SQLite's immediate transaction already holds the one
/// write lock) and the translation of its errors into a <see cref="RunStoreException"/> that says what to do.
/// </summary>
/// <remarks>
/// Leases: a worker's claim on a run is <c>lease_owner</c> plus <c>lease_until</c> (Unix milliseconds of the host's clock;
/// hosts that share a database keep their clocks in step, e.g. with NTP, well within <see cref="StorageOptions.LeaseSeconds"/>).
/// The dequeue takes the oldest run that is queued or whose lease has expired (a host killed with SIGKILL), so a live
/// host takes a dead host's runs over without anyone requeueing them first.
/// </remarks>
internal abstract class RunStoreBase : IRunStore
{
    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;

    protected RunStoreBase(StorageOptions options, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _lease = TimeSpan.FromSeconds(options.LeaseSeconds);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Signalled after every committed write that changes what a reader sees (not lease renewals); on PostgreSQL also when another host's write is heard through <c>NOTIFY</c>.</summary>
    public RunStoreChanges Changes { get; } = new();

    /// <summary>The clause that locks the dequeued row against other hosts' dequeues (empty where the transaction already does).</summary>
    protected abstract string DequeueLockClause { get; }

    /// <summary>The clause that locks a row read in a transaction until it commits (empty where the transaction already serialises writers).</summary>
    protected virtual string RowLockClause => string.Empty;

    public abstract Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>A statement run after every change of a run's state, with <c>@changed</c> the run id (PostgreSQL: <c>pg_notify</c>), or null.</summary>
    protected virtual string? ChangeNotification => null;

    /// <summary>An open connection, with the engine's per-connection settings applied.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>The engine's error as a <see cref="RunStoreException"/> naming the store and what to do, or null when <paramref name="error"/> is not the engine's.</summary>
    protected abstract RunStoreException? Translate(Exception error);

    public Task<RunRecord> EnqueueAsync(string task, string model, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(task);
        var now = Now();
        var run = new RunRecord
        {
            Id = "run-" + Guid.CreateVersion7().ToString("N")[..20],
            Task = task,
            Status = RunStatus.Queued,
            Model = model ?? string.Empty,
            CreatedAt = FromMs(now),
            UpdatedAt = FromMs(now),
        };
        return Notifying(WithConnectionAsync(
            async connection =>
            {
                await ExecAsync(
                    connection,
                    null,
                    """
                    INSERT INTO runs (id, task, status, final_answer, reason, model, steps, tokens, elapsed_ms, malformed_calls, blocked_actions, lease_owner, lease_until, created_at, updated_at)
                    VALUES (@id, @task, @status, NULL, NULL, @model, 0, 0, 0, 0, 0, NULL, NULL, @now, @now);
                    """,
                    cancellationToken,
                    ("@id", run.Id),
                    ("@task", task),
                    ("@status", Name(RunStatus.Queued)),
                    ("@model", run.Model),
                    ("@now", now)).ConfigureAwait(false);
                await NotifyAsync(connection, null, run.Id, cancellationToken).ConfigureAwait(false);
                return run;
            },
            cancellationToken));
    }

    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(
            async connection => (await QueryRunsAsync(connection, null, "SELECT * FROM runs WHERE id = @id;", cancellationToken, ("@id", runId)).ConfigureAwait(false)).FirstOrDefault(),
            cancellationToken);

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<RunRecord>>(
            async connection => await QueryRunsAsync(connection, null, "SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT @limit;", cancellationToken, ("@limit", limit)).ConfigureAwait(false),
            cancellationToken);

    public Task<RunRecord?> DequeueAsync(string owner, CancellationToken cancellationToken = default) =>
        Notifying(InTransactionAsync(
            async (connection, transaction) =>
            {
                var now = Now();
                var id = await ScalarAsync(
                    connection,
                    transaction,
                    "SELECT id FROM runs WHERE status = @queued OR (status = @running AND (lease_until IS NULL OR lease_until < @now)) ORDER BY created_at, id LIMIT 1" + DequeueLockClause + ";",
                    cancellationToken,
                    ("@queued", Name(RunStatus.Queued)),
                    ("@running", Name(RunStatus.Running)),
                    ("@now", now)).ConfigureAwait(false) as string;
                if (id is null)
                {
                    return null;
                }

                // A run whose lease expired is taken over where it stands: its journal says what it did (a call that
                // started and never completed is reported as interrupted, never run again).
                await ExecAsync(
                    connection,
                    transaction,
                    """
                    UPDATE runs SET status = @running, lease_owner = @owner, lease_until = @until, updated_at = @now,
                        reason = CASE WHEN status = @running THEN @taken ELSE reason END
                    WHERE id = @id;
                    """,
                    cancellationToken,
                    ("@running", Name(RunStatus.Running)),
                    ("@owner", owner),
                    ("@until", now + (long)_lease.TotalMilliseconds),
                    ("@now", now),
                    ("@taken", "taken over by " + owner + ": its worker's lease expired (the host stopped or was killed); resumed from the journal"),
                    ("@id", id)).ConfigureAwait(false);
                await NotifyAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
                return (await QueryRunsAsync(connection, transaction, "SELECT * FROM runs WHERE id = @id;", cancellationToken, ("@id", id)).ConfigureAwait(false)).FirstOrDefault();
            },
            cancellationToken));

    public Task<bool> TryClaimAsync(string runId, string owner, CancellationToken cancellationToken = default) =>
        Notifying(InTransactionAsync(
            async (connection, transaction) => await ExecAsync(
                connection,
                transaction,
                """
                UPDATE runs SET status = @running, lease_owner = @owner, lease_until = @until, updated_at = @now
                WHERE id = @id AND (status = @queued OR (status = @running AND (lease_owner = @owner OR lease_until IS NULL OR lease_until < @now)));
                """,
                cancellationToken,
                ("@running", Name(RunStatus.Running)),
                ("@queued", Name(RunStatus.Queued)),
                ("@owner", owner),
                ("@until", Now() + (long)_lease.TotalMilliseconds),
                ("@now", Now()),
                ("@id", runId)).ConfigureAwait(false) == 1,
            cancellationToken));

    public Task<bool> RenewLeaseAsync(string runId, string owner, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(
            async connection => await ExecAsync(
                connection,
                null,
                "UPDATE runs SET lease_until = @until WHERE id = @id AND lease_owner = @owner AND status = @running;",
                cancellationToken,
                ("@until", Now() + (long)_lease.TotalMilliseconds),
                ("@id", runId),
                ("@owner", owner),
                ("@running", Name(RunStatus.Running))).ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<int> RequeueExpiredAsync(CancellationToken cancellationToken = default) =>
        Notifying(WithConnectionAsync(
            async connection =>
            {
                var requeued = await ExecAsync(
                    connection,
                    null,
                    "UPDATE runs SET status = @queued, lease_owner = NULL, lease_until = NULL, reason = @reason, updated_at = @now WHERE status = @running AND (lease_until IS NULL OR lease_until < @now);",
                    cancellationToken,
                    ("@queued", Name(RunStatus.Queued)),
                    ("@running", Name(RunStatus.Running)),
                    ("@reason", "its worker stopped without releasing it (crash or kill); resumed from the last completed step"),
                    ("@now", Now())).ConfigureAwait(false);

                // A worker killed after writing `parked` and before reading its approval again (RequeueDecidedAsync) left a
                // run parked whose approval was decided while it still ran, so the decision did not queue it either.
                requeued += await ExecAsync(
                    connection,
                    null,
                    """
                    UPDATE runs SET status = @queued, reason = @decided, updated_at = @now
                    WHERE status = @parked AND EXISTS (
                        SELECT 1 FROM run_steps s JOIN action_log a ON a.id = s.log_entry_id
                        WHERE s.run_id = runs.id AND s.status = @pending AND a.review_status <> @pending);
                    """,
                    cancellationToken,
                    ("@queued", Name(RunStatus.Queued)),
                    ("@parked", Name(RunStatus.Parked)),
                    ("@pending", Name(StepStatus.Pending)),
                    ("@decided", "its approval was decided while it parked and its worker stopped before queueing it; resumed"),
                    ("@now", Now())).ConfigureAwait(false);
                if (requeued > 0)
                {
                    await NotifyAsync(connection, null, "*", cancellationToken).ConfigureAwait(false);
                }

                return requeued;
            },
            cancellationToken));

    public async Task UpdateRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var keepsLease = run.Status == RunStatus.Running;
        var now = Now();

        // A record that names its worker is written only while that worker still holds the run, or when the row is as
        // this worker left it on letting the run go (no owner, the same status: the runner's last write repeats its
        // previous one). One that lost its lease (another host took the run over, or an approval queued it again)
        // must not overwrite the new state or take the lease back.
        var written = await WithConnectionAsync(
            async connection =>
            {
                var rows = await ExecAsync(
                    connection,
                    null,
                    """
                    UPDATE runs SET status = @status, final_answer = @answer, reason = @reason, steps = @steps, tokens = @tokens, elapsed_ms = @elapsed,
                        malformed_calls = @malformed, blocked_actions = @blocked, lease_owner = @owner, lease_until = @until, updated_at = @now
                    WHERE id = @id AND (CAST(@holder AS TEXT) IS NULL OR lease_owner = @holder OR (lease_owner IS NULL AND status = @status));
                    """,
                    cancellationToken,
                    ("@status", Name(run.Status)),
                    ("@answer", run.FinalAnswer),
                    ("@reason", run.Reason),
                    ("@steps", run.Steps),
                    ("@tokens", run.Tokens),
                    ("@elapsed", run.ElapsedMilliseconds),
                    ("@malformed", run.MalformedCalls),
                    ("@blocked", run.BlockedActions),
                    ("@owner", keepsLease ? run.LeaseOwner : null),
                    ("@until", keepsLease ? now + (long)_lease.TotalMilliseconds : null),
                    ("@now", now),
                    ("@id", run.Id),
                    ("@holder", run.LeaseOwner)).ConfigureAwait(false);
                if (rows > 0)
                {
                    await NotifyAsync(connection, null, run.Id, cancellationToken).ConfigureAwait(false);
                }

                return rows;
            },
            cancellationToken).ConfigureAwait(false);
        if (written == 0 && run.LeaseOwner is not null)
        {
            throw new LeaseLostException(run.Id, run.LeaseOwner);
        }

        Changes.Notify();
    }

    public Task<IReadOnlyList<StepRecord>> GetStepsAsync(string runId, CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<StepRecord>>(
            async connection =>
            {
                await using var command = Command(connection, null, "SELECT * FROM run_steps WHERE run_id = @id ORDER BY step;", ("@id", runId));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                var steps = new List<StepRecord>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    steps.Add(ReadStep(reader));
                }

                return steps;
            },
            cancellationToken);

    public Task SaveStepAsync(StepRecord record, CancellationToken cancellationToken = default) =>
        Notifying(InTransactionAsync((connection, transaction) => UpsertStepAsync(connection, transaction, record, cancellationToken), cancellationToken));

    public Task DeleteProposedStepAsync(string runId, int stepNumber, CancellationToken cancellationToken = default) =>
        Notifying(WithConnectionAsync(
            connection => ExecAsync(connection, null, "DELETE FROM run_steps WHERE run_id = @id AND step = @step AND status = @proposed;", cancellationToken, ("@id", runId), ("@step", stepNumber), ("@proposed", Name(StepStatus.Proposed))),
            cancellationToken));

    public Task MarkStartedAsync(StepRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var step = record;
        return Notifying(InTransactionAsync(
            async (connection, transaction) =>
            {
                await UpsertStepAsync(connection, transaction, step with { Status = StepStatus.Started }, cancellationToken).ConfigureAwait(false);
                await ExecAsync(connection, transaction, "INSERT INTO tool_executions (run_id, step, started_at) VALUES (@id, @step, @now);", cancellationToken, ("@id", step.RunId), ("@step", step.Step), ("@now", Now())).ConfigureAwait(false);
                return 0;
            },
            cancellationToken));
    }

    public Task<int> CountExecutionsAsync(string runId, int? stepNumber = null, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(
            async connection => Convert.ToInt32(
                await ScalarAsync(connection, null, "SELECT COUNT(*) FROM tool_executions WHERE run_id = @id AND (CAST(@step AS INTEGER) IS NULL OR step = @step);", cancellationToken, ("@id", runId), ("@step", stepNumber)).ConfigureAwait(false),
                CultureInfo.InvariantCulture),
            cancellationToken);

    public Task<ActionLogEntry> RecordGateEntryAsync(ActionLogEntry entry, StepRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(record);
        var step = record;
        return Notifying(InTransactionAsync(
            async (connection, transaction) =>
            {
                var created = entry.CreatedAt == default ? Now() : entry.CreatedAt.ToUnixTimeMilliseconds();
                var id = Convert.ToInt64(
                    await ScalarAsync(
                        connection,
                        transaction,
                        """
                        INSERT INTO action_log (run_id, step, tool, arguments, arguments_hash, decision, rule, policy_version, model, temptation, trace, created_at, review_status, reviewer, review_reason, reviewed_at, classifier, fired_tag, fired_signal, fired, mode2)
                        VALUES (@run, @step, @tool, @args, @hash, @decision, @rule, @policy, @model, @temptation, @trace, @created, @review, NULL, NULL, NULL, @classifier, @fired_tag, @fired_signal, @fired, @mode2)
                        RETURNING id;
                        """,
                        cancellationToken,
                        ("@run", entry.RunId),
                        ("@step", entry.Step),
                        ("@tool", entry.Tool),
                        ("@args", entry.Arguments),
                        ("@hash", entry.ArgumentsHash),
                        ("@decision", Name(entry.Decision)),
                        ("@rule", entry.Rule),
                        ("@policy", entry.PolicyVersion),
                        ("@model", entry.Model),
                        ("@temptation", SignalJson.WriteTemptation(entry.Temptation)),
                        ("@classifier", SignalJson.WriteClassifier(entry.Classifier)),
                        ("@fired_tag", entry.FiredTag),
                        ("@fired_signal", entry.FiredSignal == GateSignal.None ? null : Name(entry.FiredSignal)),
                        ("@fired", SignalJson.WriteFired(entry.Fired)),
                        ("@mode2", SignalJson.WriteMode(entry.Mode)),
                        ("@trace", TraceJson.Write(entry.Trace)),
                        ("@created", created),
                        ("@review", entry.ReviewStatus)).ConfigureAwait(false),
                    CultureInfo.InvariantCulture);
                await UpsertStepAsync(connection, transaction, step with { LogEntryId = id }, cancellationToken).ConfigureAwait(false);
                return entry with { Id = id, CreatedAt = FromMs(created) };
            },
            cancellationToken));
    }

    public Task<ActionLogEntry?> GetLogEntryAsync(long id, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(
            async connection => (await QueryLogAsync(connection, null, "SELECT * FROM action_log WHERE id = @id;", cancellationToken, ("@id", id)).ConfigureAwait(false)).FirstOrDefault(),
            cancellationToken);

    public Task<IReadOnlyList<ActionLogEntry>> QueryLogAsync(LogQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return WithConnectionAsync<IReadOnlyList<ActionLogEntry>>(
            async connection => await QueryLogAsync(
                connection,
                null,
                """
                SELECT * FROM action_log
                WHERE (CAST(@run AS TEXT) IS NULL OR run_id = @run) AND (CAST(@tool AS TEXT) IS NULL OR tool = @tool) AND (CAST(@decision AS TEXT) IS NULL OR decision = @decision)
                  AND (CAST(@review AS TEXT) IS NULL OR review_status = @review) AND (CAST(@since AS BIGINT) IS NULL OR created_at >= @since) AND (CAST(@until AS BIGINT) IS NULL OR created_at < @until)
                  AND (CAST(@tag AS TEXT) IS NULL OR fired_tag = @tag_name OR (fired_tag IS NULL AND rule LIKE @tag))
                ORDER BY created_at DESC, id DESC LIMIT @limit;
                """,
                cancellationToken,
                ("@run", query.RunId),
                ("@tool", query.Tool),
                ("@decision", query.Decision is { } d ? Name(d) : null),
                ("@review", query.ReviewStatus),
                ("@since", query.Since?.ToUnixTimeMilliseconds()),
                ("@until", query.Until?.ToUnixTimeMilliseconds()),
                ("@tag", query.Tag is null ? null : "%tag:" + query.Tag + ":%"),
                ("@tag_name", query.Tag),
                ("@limit", query.Limit)).ConfigureAwait(false),
            cancellationToken);
    }

    public Task<ActionLogEntry> DecideAsync(long id, bool approve, string reviewer, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reviewer);
        return Notifying(InTransactionAsync(
            async (connection, transaction) =>
            {
                var entry = (await QueryLogAsync(connection, transaction, "SELECT * FROM action_log WHERE id = @id;", cancellationToken, ("@id", id)).ConfigureAwait(false)).FirstOrDefault()
                    ?? throw new ApprovalException($"No blocked-action log entry {id}; 'agent review list' shows the entries.");
                if (entry.Decision != Decision.Escalate)
                {
                    throw new ApprovalException($"Entry {id} was blocked by policy ({entry.Rule}); only escalations can be approved or denied.");
                }

                if (entry.ReviewStatus != "pending")
                {
                    throw new ApprovalException($"Entry {id} was already {entry.ReviewStatus} by {entry.Reviewer} at {entry.ReviewedAt:u}.");
                }

                var status = approve ? "approved" : "denied";
                var now = Now();
                var decided = await ExecAsync(
                    connection,
                    transaction,
                    "UPDATE action_log SET review_status = @status, reviewer = @reviewer, review_reason = @reason, reviewed_at = @now WHERE id = @id AND review_status = @pending;",
                    cancellationToken,
                    ("@status", status),
                    ("@reviewer", reviewer),
                    ("@reason", reason),
                    ("@now", now),
                    ("@id", id),
                    ("@pending", "pending")).ConfigureAwait(false);
                if (decided != 1)
                {
                    // Another host decided it between the read and this write (PostgreSQL, READ COMMITTED).
                    throw new ApprovalException($"Entry {id} was decided by another reviewer at the same moment; 'agent review show {id}' shows the decision.");
                }

                await ExecAsync(
                    connection,
                    transaction,
                    "UPDATE runs SET status = @queued, reason = @why, updated_at = @now WHERE id = @run AND status = @parked;",
                    cancellationToken,
                    ("@queued", Name(RunStatus.Queued)),
                    ("@why", $"approval {id} {status} by {reviewer}"),
                    ("@now", now),
                    ("@run", entry.RunId),
                    ("@parked", Name(RunStatus.Parked))).ConfigureAwait(false);
                await NotifyAsync(connection, transaction, entry.RunId, cancellationToken).ConfigureAwait(false);
                return entry with { ReviewStatus = status, Reviewer = reviewer, ReviewReason = reason, ReviewedAt = FromMs(now) };
            },
            cancellationToken));
    }

    public Task<bool> RequeueDecidedAsync(string runId, long logEntryId, CancellationToken cancellationToken = default) =>
        Notifying(InTransactionAsync(
            async (connection, transaction) =>
            {
                // The entry's row is locked (PostgreSQL): a DecideAsync in flight commits first and is seen decided here,
                // or waits for this transaction, and then its own requeue finds the run parked.
                var entry = (await QueryLogAsync(connection, transaction, "SELECT * FROM action_log WHERE id = @id" + RowLockClause + ";", cancellationToken, ("@id", logEntryId)).ConfigureAwait(false)).FirstOrDefault();
                if (entry is null || entry.RunId != runId || entry.ReviewStatus == "pending")
                {
                    return false;
                }

                var requeued = await ExecAsync(
                    connection,
                    transaction,
                    """
                    UPDATE runs SET status = @queued, reason = @why, updated_at = @now
                    WHERE id = @run AND status = @parked
                        AND EXISTS (SELECT 1 FROM run_steps WHERE run_id = @run AND log_entry_id = @entry AND status = @pending);
                    """,
                    cancellationToken,
                    ("@queued", Name(RunStatus.Queued)),
                    ("@why", $"approval {logEntryId} {entry.ReviewStatus} by {entry.Reviewer} (decided while the run was parking)"),
                    ("@now", Now()),
                    ("@run", runId),
                    ("@parked", Name(RunStatus.Parked)),
                    ("@entry", logEntryId),
                    ("@pending", Name(StepStatus.Pending))).ConfigureAwait(false) == 1;
                if (requeued)
                {
                    await NotifyAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
                }

                return requeued;
            },
            cancellationToken));

    internal static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static T Parse<T>(string value)
        where T : struct, Enum => Enum.Parse<T>(value, ignoreCase: true);

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private async Task NotifyAsync(DbConnection connection, DbTransaction? transaction, string runId, CancellationToken cancellationToken)
    {
        if (ChangeNotification is { } statement)
        {
            await ExecAsync(connection, transaction, statement, cancellationToken, ("@changed", runId)).ConfigureAwait(false);
        }
    }

    /// <summary>Awaits a write and then signals <see cref="Changes"/>: only after it committed, and not when it failed.</summary>
    private async Task<T> Notifying<T>(Task<T> write)
    {
        var result = await write.ConfigureAwait(false);
        Changes.Notify();
        return result;
    }

    private async Task Notifying(Task write)
    {
        await write.ConfigureAwait(false);
        Changes.Notify();
    }

    protected long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static async Task UpsertStepAsync(DbConnection connection, DbTransaction? transaction, StepRecord step, CancellationToken cancellationToken) =>
        await ExecAsync(
            connection,
            transaction,
            """
            INSERT INTO run_steps (run_id, step, kind, model_line, tool, arguments, arguments_hash, decision, rule, decided_by, status, exit_code, stdout, stderr, truncated, temptation, tokens, log_entry_id, created_at, completed_at, classifier, mode2)
            VALUES (@run, @step, @kind, @line, @tool, @args, @hash, @decision, @rule, @by, @status, @exit, @stdout, @stderr, @truncated, @temptation, @tokens, @log, @created, @completed, @classifier, @mode2)
            ON CONFLICT (run_id, step) DO UPDATE SET kind = excluded.kind, model_line = excluded.model_line, tool = excluded.tool, arguments = excluded.arguments,
                arguments_hash = excluded.arguments_hash, decision = excluded.decision, rule = excluded.rule, decided_by = excluded.decided_by, status = excluded.status,
                exit_code = excluded.exit_code, stdout = excluded.stdout, stderr = excluded.stderr, truncated = excluded.truncated, temptation = excluded.temptation,
                classifier = excluded.classifier, mode2 = excluded.mode2, tokens = excluded.tokens, log_entry_id = excluded.log_entry_id, completed_at = excluded.completed_at;
            """,
            cancellationToken,
            ("@run", step.RunId),
            ("@step", step.Step),
            ("@kind", Name(step.Kind)),
            ("@line", step.ModelLine),
            ("@tool", step.Tool),
            ("@args", step.Arguments),
            ("@hash", step.ArgumentsHash),
            ("@decision", step.Decision is { } d ? Name(d) : null),
            ("@rule", step.Rule),
            ("@by", step.DecidedBy),
            ("@status", Name(step.Status)),
            ("@exit", step.Result?.ExitCode),
            ("@stdout", step.Result?.Stdout),
            ("@stderr", step.Result?.Stderr),
            ("@truncated", step.Result is null ? null : step.Result.Truncated ? 1 : 0),
            ("@temptation", SignalJson.WriteTemptation(step.Temptation)),
            ("@classifier", SignalJson.WriteClassifier(step.Classifier)),
            ("@mode2", SignalJson.WriteMode(step.Mode)),
            ("@tokens", step.Tokens),
            ("@log", step.LogEntryId),
            ("@created", (step.CreatedAt == default ? DateTimeOffset.UtcNow : step.CreatedAt).ToUnixTimeMilliseconds()),
            ("@completed", step.CompletedAt?.ToUnixTimeMilliseconds())).ConfigureAwait(false);

    private static StepRecord ReadStep(DbDataReader r) => new()
    {
        RunId = r.GetString(r.GetOrdinal("run_id")),
        Step = r.GetInt32(r.GetOrdinal("step")),
        Kind = Parse<StepKind>(r.GetString(r.GetOrdinal("kind"))),
        ModelLine = r.GetString(r.GetOrdinal("model_line")),
        Tool = Str(r, "tool"),
        Arguments = Str(r, "arguments"),
        ArgumentsHash = Str(r, "arguments_hash"),
        Decision = Str(r, "decision") is { } d ? Parse<Decision>(d) : null,
        Rule = Str(r, "rule"),
        DecidedBy = Str(r, "decided_by"),
        Status = Parse<StepStatus>(r.GetString(r.GetOrdinal("status"))),
        Result = Long(r, "exit_code") is { } exit
            ? new ToolOutcome((int)exit, Str(r, "stdout") ?? string.Empty, Str(r, "stderr") ?? string.Empty, Long(r, "truncated") == 1)
            : null,
        Temptation = SignalJson.ReadTemptation(r.GetString(r.GetOrdinal("temptation"))),
        Classifier = SignalJson.ReadClassifier(r.GetString(r.GetOrdinal("classifier"))),
        Mode = SignalJson.ReadMode(Str(r, "mode2")),
        Tokens = r.GetInt32(r.GetOrdinal("tokens")),
        LogEntryId = Long(r, "log_entry_id"),
        CreatedAt = FromMs(r.GetInt64(r.GetOrdinal("created_at"))),
        CompletedAt = Long(r, "completed_at") is { } c ? FromMs(c) : null,
    };

    private static string? Str(DbDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetString(i);
    }

    private static long? Long(DbDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetInt64(i);
    }

    private static async Task<List<RunRecord>> QueryRunsAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<RunRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RunRecord
            {
                Id = r.GetString(r.GetOrdinal("id")),
                Task = r.GetString(r.GetOrdinal("task")),
                Status = Parse<RunStatus>(r.GetString(r.GetOrdinal("status"))),
                FinalAnswer = Str(r, "final_answer"),
                Reason = Str(r, "reason"),
                Model = r.GetString(r.GetOrdinal("model")),
                Steps = r.GetInt32(r.GetOrdinal("steps")),
                Tokens = r.GetInt32(r.GetOrdinal("tokens")),
                ElapsedMilliseconds = r.GetInt64(r.GetOrdinal("elapsed_ms")),
                MalformedCalls = r.GetInt32(r.GetOrdinal("malformed_calls")),
                BlockedActions = r.GetInt32(r.GetOrdinal("blocked_actions")),
                LeaseOwner = Str(r, "lease_owner"),
                LeaseUntil = Long(r, "lease_until") is { } l ? FromMs(l) : null,
                CreatedAt = FromMs(r.GetInt64(r.GetOrdinal("created_at"))),
                UpdatedAt = FromMs(r.GetInt64(r.GetOrdinal("updated_at"))),
            });
        }

        return runs;
    }

    private static async Task<List<ActionLogEntry>> QueryLogAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<ActionLogEntry>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new ActionLogEntry
            {
                Id = r.GetInt64(r.GetOrdinal("id")),
                RunId = r.GetString(r.GetOrdinal("run_id")),
                Step = r.GetInt32(r.GetOrdinal("step")),
                Tool = r.GetString(r.GetOrdinal("tool")),
                Arguments = r.GetString(r.GetOrdinal("arguments")),
                ArgumentsHash = r.GetString(r.GetOrdinal("arguments_hash")),
                Decision = Parse<Decision>(r.GetString(r.GetOrdinal("decision"))),
                Rule = r.GetString(r.GetOrdinal("rule")),
                PolicyVersion = r.GetString(r.GetOrdinal("policy_version")),
                Model = r.GetString(r.GetOrdinal("model")),
                Temptation = SignalJson.ReadTemptation(r.GetString(r.GetOrdinal("temptation"))),
                Classifier = SignalJson.ReadClassifier(r.GetString(r.GetOrdinal("classifier"))),
                FiredTag = Str(r, "fired_tag"),
                FiredSignal = Str(r, "fired_signal") is { } fired ? Parse<GateSignal>(fired) : GateSignal.None,
                Fired = SignalJson.ReadFired(r.GetString(r.GetOrdinal("fired"))),
                Mode = SignalJson.ReadMode(Str(r, "mode2")),
                Trace = TraceJson.Read(r.GetString(r.GetOrdinal("trace"))),
                CreatedAt = FromMs(r.GetInt64(r.GetOrdinal("created_at"))),
                ReviewStatus = r.GetString(r.GetOrdinal("review_status")),
                Reviewer = Str(r, "reviewer"),
                ReviewReason = Str(r, "review_reason"),
                ReviewedAt = Long(r, "reviewed_at") is { } t ? FromMs(t) : null,
            });
        }

        return entries;
    }

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // Every statement is a constant of this class; values travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    protected static async Task<int> ExecAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }


    protected async Task<T> WithConnectionAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await work(connection).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    protected Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WithConnectionAsync(
            async connection =>
            {
                // SQLite: Microsoft.Data.Sqlite begins IMMEDIATE transactions, so the write lock is taken up front.
                // PostgreSQL: READ COMMITTED; every statement that must not race locks its rows (FOR UPDATE SKIP LOCKED,
                // or an UPDATE whose WHERE re-checks the state it expects and whose row count is checked).
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var result = await work(connection, transaction).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return result;
                }
            },
            cancellationToken);

    private Task<int> InTransactionAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken) =>
        InTransactionAsync<int>(
            async (c, t) =>
            {
                await work(c, t).ConfigureAwait(false);
                return 0;
            },
            cancellationToken);
}
