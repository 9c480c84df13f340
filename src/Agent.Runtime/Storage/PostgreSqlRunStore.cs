using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace Agent.Runtime.Storage;

/// <summary>
/// The PostgreSQL run store (<c>Storage:Provider = PostgreSql</c>): several hosts share one database. The statements are
/// <see cref="RunStoreBase"/>'s, the same ones SQLite runs; the dequeue locks the row it takes with
/// <c>FOR UPDATE SKIP LOCKED</c>, so hosts that dequeue at the same moment each get a different run and never wait on
/// one another. The schema is <see cref="RunStoreSchema"/>'s, migrated in one transaction per version under an advisory
/// lock, so hosts that start together migrate once. Every change of a run's state sends <c>NOTIFY agent_runs</c> with the
/// run id in the transaction that makes it, and <see cref="WaitForChangeAsync"/> listens on one connection of its own,
/// opened on first use and opened again when it breaks.
/// </summary>
internal sealed class PostgreSqlRunStore : RunStoreBase, IRunChangeSignal, IAsyncDisposable, IDisposable
{
    /// <summary>The notification channel of run changes.</summary>
    public const string Channel = "agent_runs";

    /// <summary>The advisory lock key of the migrations ("agentrun" in ASCII).</summary>
    private const long MigrationLock = 0x6167656e7472756e;

    private static readonly IReadOnlyList<string> s_migrations = RunStoreSchema.Migrations(RunStoreSchema.PostgreSqlIdentity);

    private static readonly HashSet<string> s_tables = new(StringComparer.Ordinal) { "schema_migrations", "runs", "run_steps", "tool_executions", "action_log" };

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _where;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _sync = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _listening;

    public PostgreSqlRunStore(StorageOptions options, TimeProvider? time = null)
        : base(options, time)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException("Storage:ConnectionString must be set when Storage:Provider is PostgreSql.", nameof(options));
        }

        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        _where = $"PostgreSQL database '{builder.Database ?? builder.Username ?? "(default)"}' on {builder.Host ?? "localhost"}:{builder.Port.ToString(CultureInfo.InvariantCulture)}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    protected override string DequeueLockClause => " FOR UPDATE SKIP LOCKED";

    protected override string RowLockClause => " FOR UPDATE";

    protected override string ChangeNotification => $"SELECT pg_notify('{Channel}', @changed);";

    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await WithConnectionAsync(
            async connection =>
            {
                // Read before any write: a database that holds other tables, or a newer schema, is refused as it is.
                var tables = await ReadTablesAsync(connection, cancellationToken).ConfigureAwait(false);
                CheckTables(tables);
                var version = tables.Contains("schema_migrations") ? await VersionAsync(connection, null, cancellationToken).ConfigureAwait(false) : 0;
                CheckVersion(version);
                if (version == s_migrations.Count)
                {
                    return 0;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await ExecAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@key);", cancellationToken, ("@key", MigrationLock)).ConfigureAwait(false);
                await ExecAsync(connection, transaction, RunStoreSchema.MigrationsTable, cancellationToken).ConfigureAwait(false);

                // Another host may have migrated while this one waited for the lock: read the version again under it.
                version = await VersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                CheckVersion(version);
                for (var next = version + 1; next <= s_migrations.Count; next++)
                {
                    await ExecAsync(connection, transaction, s_migrations[next - 1], cancellationToken).ConfigureAwait(false);
                    await ExecAsync(connection, transaction, "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t);", cancellationToken, ("@v", next), ("@t", Now())).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Task changed;
        lock (_sync)
        {
            _listening ??= Task.Run(ListenAsync, CancellationToken.None);
            changed = _changed.Task;
        }

        var first = await Task.WhenAny(changed, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == changed;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listening is { } listening)
        {
            await listening.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override RunStoreException? Translate(Exception error)
    {
        if (error is not NpgsqlException e)
        {
            return null;
        }

        var what = e switch
        {
            PostgresException { SqlState: "28P01" or "28000" } => "the server refused the user name or password of Storage:ConnectionString",
            PostgresException { SqlState: "3D000" } => "the database does not exist: create it (createdb) or fix Database= in Storage:ConnectionString",
            PostgresException { SqlState: "42501" } => "the user of Storage:ConnectionString lacks a privilege it needs (it must be able to create tables in its schema)",
            PostgresException { SqlState: "53100" } => "the server's disk is full",
            PostgresException { SqlState: "57P01" or "57P02" or "57P03" } => "the server is shutting down or starting up; try again when it is up",
            PostgresException p => p.MessageText,
            { InnerException: SocketException or IOException } => "the server cannot be reached: check that PostgreSQL runs and listens at Host= and Port= of Storage:ConnectionString",
            { InnerException: TimeoutException } => "the server did not answer in time (Timeout= and Command Timeout= of Storage:ConnectionString)",
            _ => e.Message,
        };
        return new RunStoreException($"The run store ({_where}) failed: {what}. (Npgsql: {e.Message})", e);
    }

    /// <summary>Holds one connection that LISTENs on <see cref="Channel"/>; each notification completes the current waiters' task.</summary>
    private async Task ListenAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += (_, _) => Signal();
                    await using (var listen = new NpgsqlCommand($"LISTEN {Channel};", connection))
                    {
                        await listen.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                    }

                    while (true)
                    {
                        await connection.WaitAsync(_stop.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException)
            {
                // The server went away: the waiters fall back to their timeout until the connection is back.
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Signal()
    {
        TaskCompletionSource done;
        lock (_sync)
        {
            done = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        done.TrySetResult();

        // Another host's write (or this one's, heard back): the event streams of this host wake too.
        Changes.Notify();
    }

    private void CheckTables(HashSet<string> tables)
    {
        if (tables.FirstOrDefault(t => !s_tables.Contains(t)) is { } foreign)
        {
            throw new RunStoreException(
                $"The run store ({_where}) holds a table '{foreign}' that is not part of the run store's schema: it is another program's database, and nothing in it was changed. Give the run store a database of its own and point Storage:ConnectionString at it.");
        }

        if (tables.Count > 0 && !tables.Contains("schema_migrations"))
        {
            throw new RunStoreException(
                $"The run store ({_where}) has tables ({string.Join(", ", tables.Order(StringComparer.Ordinal))}) but no 'schema_migrations': it is another program's database or a damaged one, and nothing in it was changed. Point Storage:ConnectionString at a database of its own.");
        }
    }

    private void CheckVersion(int version)
    {
        if (version > s_migrations.Count)
        {
            throw new RunStoreException($"The run store ({_where}) has schema version {version}, newer than this program knows ({s_migrations.Count}); nothing in it was changed. Run the same 'agent' version on every host.");
        }
    }

    private static async Task<int> VersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        Convert.ToInt32(await ScalarAsync(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);

    /// <summary>The tables of the connection's current schema (the first of its search_path).</summary>
    private static async Task<HashSet<string>> ReadTablesAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var tables = new HashSet<string>(StringComparer.Ordinal);
        await using var command = Command(connection, null, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema();");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }
}
