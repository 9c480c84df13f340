using System.Data.Common;
using System.Globalization;
using Agent.Runtime.Policy;
using Microsoft.Data.Sqlite;

namespace Agent.Runtime.Storage;

/// <summary>
/// The SQLite run store. Portability to PostgreSQL is kept on purpose: plain column types (TEXT, INTEGER, BIGINT,
/// VARCHAR), times as BIGINT Unix milliseconds, booleans as 0/1, an explicit <c>schema_migrations</c> table, and
/// only statements both engines run (<c>INSERT .. ON CONFLICT .. DO UPDATE</c>, <c>RETURNING</c>, <c>LIMIT</c>).
/// Only the DDL of the identity column and the dequeue lock (<c>FOR UPDATE SKIP LOCKED</c> there, an immediate
/// transaction here) would differ. The file runs in WAL mode with a busy timeout and synchronous=FULL, so a killed
/// process loses nothing it committed.
/// </summary>
internal sealed class SqliteRunStore : IRunStore
{
    private static readonly string[] s_migrations =
    [
        """
        CREATE TABLE runs (
            id VARCHAR(64) NOT NULL PRIMARY KEY,
            task TEXT NOT NULL,
            status VARCHAR(16) NOT NULL,
            final_answer TEXT NULL,
            reason TEXT NULL,
            model TEXT NOT NULL,
            steps INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            elapsed_ms BIGINT NOT NULL,
            malformed_calls INTEGER NOT NULL,
            blocked_actions INTEGER NOT NULL,
            lease_owner VARCHAR(128) NULL,
            lease_until BIGINT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL);
        CREATE INDEX ix_runs_status_created ON runs (status, created_at);
        CREATE TABLE run_steps (
            run_id VARCHAR(64) NOT NULL,
            step INTEGER NOT NULL,
            kind VARCHAR(16) NOT NULL,
            model_line TEXT NOT NULL,
            tool VARCHAR(128) NULL,
            arguments TEXT NULL,
            arguments_hash VARCHAR(64) NULL,
            decision VARCHAR(16) NULL,
            rule TEXT NULL,
            decided_by VARCHAR(128) NULL,
            status VARCHAR(16) NOT NULL,
            exit_code INTEGER NULL,
            stdout TEXT NULL,
            stderr TEXT NULL,
            truncated INTEGER NULL,
            temptation TEXT NOT NULL,
            tokens INTEGER NOT NULL,
            log_entry_id BIGINT NULL,
            created_at BIGINT NOT NULL,
            completed_at BIGINT NULL,
            PRIMARY KEY (run_id, step));
        CREATE TABLE tool_executions (
            run_id VARCHAR(64) NOT NULL,
            step INTEGER NOT NULL,
            started_at BIGINT NOT NULL);
        CREATE INDEX ix_tool_executions_run ON tool_executions (run_id, step);
        CREATE TABLE action_log (
            id INTEGER NOT NULL PRIMARY KEY,
            run_id VARCHAR(64) NOT NULL,
            step INTEGER NOT NULL,
            tool VARCHAR(128) NOT NULL,
            arguments TEXT NOT NULL,
            arguments_hash VARCHAR(64) NOT NULL,
            decision VARCHAR(16) NOT NULL,
            rule TEXT NOT NULL,
            policy_version VARCHAR(32) NOT NULL,
            model TEXT NOT NULL,
            temptation TEXT NOT NULL,
            trace TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            review_status VARCHAR(16) NOT NULL,
            reviewer VARCHAR(128) NULL,
            review_reason TEXT NULL,
            reviewed_at BIGINT NULL);
        CREATE INDEX ix_action_log_review ON action_log (review_status, created_at);
        CREATE INDEX ix_action_log_run ON action_log (run_id, step);
        """,
        // 2: the gate's second signal (issue 18): the classifier's probability per tag on every step and log entry, and
        // which tag and signal fired. Rows of version 1 read as "classifier did not run" and "fired: see the rule".
        """
        ALTER TABLE run_steps ADD COLUMN classifier TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE action_log ADD COLUMN classifier TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE action_log ADD COLUMN fired_tag VARCHAR(64) NULL;
        ALTER TABLE action_log ADD COLUMN fired_signal VARCHAR(16) NULL;
        """,
        // 3: every signal that crossed a threshold, not only the one that decided (fired_tag, fired_signal): a JSON list
        // [{"tag":..,"signal":"model"|"classifier","level":"escalate"|"block","value":..,"threshold":..}]. Rows of earlier
        // versions read as an empty list.
        """
        ALTER TABLE action_log ADD COLUMN fired TEXT NOT NULL DEFAULT '[]';
        """,
    ];

    private readonly string _connectionString;
    private readonly string _path;
    private readonly int _busyTimeoutMilliseconds;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;

    public RunStoreChanges Changes { get; } = new();

    public SqliteRunStore(StorageOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _path = Path.GetFullPath(options.DatabasePath);
        _busyTimeoutMilliseconds = options.BusyTimeoutMilliseconds;
        _lease = TimeSpan.FromSeconds(options.LeaseSeconds);
        _time = time ?? TimeProvider.System;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Math.Max(1, _busyTimeoutMilliseconds / 1000),
        }.ToString();
    }

    /// <summary>The bookkeeping table of the migrations; it marks a database as a run store.</summary>
    private const string MigrationsTable = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL);";

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        // An existing file is read (read-only) and checked before anything is written to it: a foreign or damaged
        // database is refused as it is, never half-migrated.
        await CheckExistingSchemaAsync(cancellationToken).ConfigureAwait(false);
        var folder = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        await WithConnectionAsync(
            async connection =>
            {
                await ExecAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
                await ExecAsync(connection, null, MigrationsTable, cancellationToken).ConfigureAwait(false);
                var current = Convert.ToInt32(await ScalarAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);

                for (var version = current + 1; version <= s_migrations.Length; version++)
                {
                    await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await ExecAsync(connection, transaction, s_migrations[version - 1], cancellationToken).ConfigureAwait(false);
                    await ExecAsync(connection, transaction, "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t);", cancellationToken, ("@v", version), ("@t", Now())).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }

                return 0;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses, before any write, an existing file that is not a run store of a version this program knows: every table
    /// in it must be one the schema owns (at the version its <c>schema_migrations</c> records), with exactly that
    /// table's columns. The expected shape is the migrations themselves, applied to an in-memory database.
    /// </summary>
    /// <exception cref="RunStoreException">The file is not a SQLite database, holds a table the schema does not own or one of another shape, or is of a newer schema.</exception>
    private async Task CheckExistingSchemaAsync(CancellationToken cancellationToken)
    {
        var file = new FileInfo(_path);
        if (!file.Exists || file.Length == 0)
        {
            return;
        }

        Dictionary<string, string> actual;
        int version;
        try
        {
            var readOnly = new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
            await using var connection = new SqliteConnection(readOnly);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, null, $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture)};", cancellationToken).ConfigureAwait(false);
            actual = await ReadTablesAsync(connection, cancellationToken).ConfigureAwait(false);
            version = actual.ContainsKey("schema_migrations")
                ? Convert.ToInt32(await ScalarAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture)
                : 0;
        }
        catch (SqliteException e)
        {
            throw new RunStoreException(
                $"The run store '{_path}' cannot be read as a SQLite database ({e.Message}); nothing in it was changed. Point Storage:DatabasePath at a new file, or move this one away.", e);
        }

        if (version > s_migrations.Length)
        {
            throw new RunStoreException($"The run store '{_path}' has schema version {version}, newer than this program knows ({s_migrations.Length}); nothing in it was changed. Use a newer 'agent' or another Storage:DatabasePath.");
        }

        var expected = await ExpectedTablesAsync(version, cancellationToken).ConfigureAwait(false);
        foreach (var (table, columns) in actual.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            string? problem = !expected.TryGetValue(table, out var want)
                ? $"holds a table '{table}' that is not part of the run store's schema (version {version})"
                : columns != want
                    ? $"holds a table '{table}' whose columns ({columns}) are not the run store's (schema version {version}: {want})"
                    : null;
            if (problem is not null)
            {
                throw new RunStoreException(
                    $"The run store '{_path}' {problem}: it is another program's database or a damaged one, and nothing in it was changed. Point Storage:DatabasePath at a new file, or move this one away.");
            }
        }

        if (version > 0 && expected.Keys.FirstOrDefault(t => !actual.ContainsKey(t)) is { } missing)
        {
            throw new RunStoreException(
                $"The run store '{_path}' records schema version {version} but has no table '{missing}': the file is damaged, and nothing in it was changed. Restore it from a backup, or point Storage:DatabasePath at a new file.");
        }
    }

    /// <summary>The tables of the schema at <paramref name="version"/>, made by applying the migrations to an in-memory database.</summary>
    private static async Task<Dictionary<string, string>> ExpectedTablesAsync(int version, CancellationToken cancellationToken)
    {
        await using var memory = new SqliteConnection("Data Source=:memory:");
        await memory.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(memory, null, MigrationsTable, cancellationToken).ConfigureAwait(false);
        foreach (var migration in s_migrations.Take(version))
        {
            await ExecAsync(memory, null, migration, cancellationToken).ConfigureAwait(false);
        }

        return await ReadTablesAsync(memory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every table of a database and its columns, as one comparable line per table (name type, NOT NULL, key position).</summary>
    private static async Task<Dictionary<string, string>> ReadTablesAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using (var list = Command(connection, null, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name;"))
        await using (var r = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                names.Add(r.GetString(0));
            }
        }

        var tables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var columns = new List<string>();
            await using var info = Command(connection, null, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(@table) ORDER BY cid;", ("@table", name));
            await using var r = await info.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var notNull = r.GetInt64(2) != 0 ? " NOT NULL" : string.Empty;
                var key = r.GetInt64(3) > 0 ? " KEY" : string.Empty;
                columns.Add($"{r.GetString(0)} {r.GetString(1)}{notNull}{key}");
            }

            tables[name] = string.Join(", ", columns);
        }

        return tables;
    }

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
                var id = await ScalarAsync(connection, transaction, "SELECT id FROM runs WHERE status = @queued ORDER BY created_at, id LIMIT 1;", cancellationToken, ("@queued", Name(RunStatus.Queued))).ConfigureAwait(false) as string;
                if (id is null)
                {
                    return null;
                }

                await ExecAsync(
                    connection,
                    transaction,
                    "UPDATE runs SET status = @running, lease_owner = @owner, lease_until = @until, updated_at = @now WHERE id = @id AND status = @queued;",
                    cancellationToken,
                    ("@running", Name(RunStatus.Running)),
                    ("@owner", owner),
                    ("@until", Now() + (long)_lease.TotalMilliseconds),
                    ("@now", Now()),
                    ("@id", id),
                    ("@queued", Name(RunStatus.Queued))).ConfigureAwait(false);
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
            connection => ExecAsync(
                connection,
                null,
                "UPDATE runs SET status = @queued, lease_owner = NULL, lease_until = NULL, reason = @reason, updated_at = @now WHERE status = @running AND (lease_until IS NULL OR lease_until < @now);",
                cancellationToken,
                ("@queued", Name(RunStatus.Queued)),
                ("@running", Name(RunStatus.Running)),
                ("@reason", "its worker stopped without releasing it (crash or kill); resumed from the last completed step"),
                ("@now", Now())),
            cancellationToken));

    public Task UpdateRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var keepsLease = run.Status == RunStatus.Running;
        return Notifying(WithConnectionAsync(
            connection => ExecAsync(
                connection,
                null,
                """
                UPDATE runs SET status = @status, final_answer = @answer, reason = @reason, steps = @steps, tokens = @tokens, elapsed_ms = @elapsed,
                    malformed_calls = @malformed, blocked_actions = @blocked, lease_owner = @owner, lease_until = @until, updated_at = @now
                WHERE id = @id;
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
                ("@until", keepsLease ? Now() + (long)_lease.TotalMilliseconds : null),
                ("@now", Now()),
                ("@id", run.Id)),
            cancellationToken));
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
                await ScalarAsync(connection, null, "SELECT COUNT(*) FROM tool_executions WHERE run_id = @id AND (@step IS NULL OR step = @step);", cancellationToken, ("@id", runId), ("@step", stepNumber)).ConfigureAwait(false),
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
                        INSERT INTO action_log (run_id, step, tool, arguments, arguments_hash, decision, rule, policy_version, model, temptation, trace, created_at, review_status, reviewer, review_reason, reviewed_at, classifier, fired_tag, fired_signal, fired)
                        VALUES (@run, @step, @tool, @args, @hash, @decision, @rule, @policy, @model, @temptation, @trace, @created, @review, NULL, NULL, NULL, @classifier, @fired_tag, @fired_signal, @fired)
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
                WHERE (@run IS NULL OR run_id = @run) AND (@tool IS NULL OR tool = @tool) AND (@decision IS NULL OR decision = @decision)
                  AND (@review IS NULL OR review_status = @review) AND (@since IS NULL OR created_at >= @since) AND (@until IS NULL OR created_at < @until)
                  AND (@tag IS NULL OR fired_tag = @tag_name OR (fired_tag IS NULL AND rule LIKE @tag))
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
                await ExecAsync(
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
                return entry with { ReviewStatus = status, Reviewer = reviewer, ReviewReason = reason, ReviewedAt = FromMs(now) };
            },
            cancellationToken));
    }

    /// <summary>Awaits a write and then signals <see cref="Changes"/>: only after it committed, and not when it failed.</summary>
    private async Task<T> Notifying<T>(Task<T> write)
    {
        var result = await write.ConfigureAwait(false);
        Changes.Notify();
        return result;
    }

    internal static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static T Parse<T>(string value)
        where T : struct, Enum => Enum.Parse<T>(value, ignoreCase: true);

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static async Task UpsertStepAsync(SqliteConnection connection, SqliteTransaction? transaction, StepRecord step, CancellationToken cancellationToken) =>
        await ExecAsync(
            connection,
            transaction,
            """
            INSERT INTO run_steps (run_id, step, kind, model_line, tool, arguments, arguments_hash, decision, rule, decided_by, status, exit_code, stdout, stderr, truncated, temptation, tokens, log_entry_id, created_at, completed_at, classifier)
            VALUES (@run, @step, @kind, @line, @tool, @args, @hash, @decision, @rule, @by, @status, @exit, @stdout, @stderr, @truncated, @temptation, @tokens, @log, @created, @completed, @classifier)
            ON CONFLICT (run_id, step) DO UPDATE SET kind = excluded.kind, model_line = excluded.model_line, tool = excluded.tool, arguments = excluded.arguments,
                arguments_hash = excluded.arguments_hash, decision = excluded.decision, rule = excluded.rule, decided_by = excluded.decided_by, status = excluded.status,
                exit_code = excluded.exit_code, stdout = excluded.stdout, stderr = excluded.stderr, truncated = excluded.truncated, temptation = excluded.temptation,
                classifier = excluded.classifier, tokens = excluded.tokens, log_entry_id = excluded.log_entry_id, completed_at = excluded.completed_at;
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

    private static async Task<List<RunRecord>> QueryRunsAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
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

    private static async Task<List<ActionLogEntry>> QueryLogAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
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

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // Every statement is a constant of this class; values travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static async Task<int> ExecAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    private async Task<T> WithConnectionAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, null, $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture)}; PRAGMA synchronous = FULL;", cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            var what = e.SqliteErrorCode switch
            {
                13 => "the disk is full",
                5 or 6 => $"the database stayed locked longer than Storage:BusyTimeoutMilliseconds ({_busyTimeoutMilliseconds} ms)",
                8 => "the file is read-only",
                14 => "the file cannot be opened (check the folder exists and is writable)",
                _ => e.Message,
            };
            throw new RunStoreException($"The run store '{_path}' failed: {what}. (SQLite error {e.SqliteErrorCode}: {e.Message})", e);
        }
    }

    private Task<T> InTransactionAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WithConnectionAsync(
            async connection =>
            {
                // Microsoft.Data.Sqlite begins IMMEDIATE transactions: the write lock is taken up front, so two workers never both dequeue one run.
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var result = await work(connection, transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            },
            cancellationToken);

    private Task<int> InTransactionAsync(Func<SqliteConnection, SqliteTransaction, Task> work, CancellationToken cancellationToken) =>
        InTransactionAsync<int>(
            async (c, t) =>
            {
                await work(c, t).ConfigureAwait(false);
                return 0;
            },
            cancellationToken);
}
