using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Agent.Runtime.Storage;

/// <summary>
/// The SQLite run store, the embedded default: one file, one host. The statements are <see cref="RunStoreBase"/>'s,
/// shared with <see cref="PostgreSqlRunStore"/>, and the schema is <see cref="RunStoreSchema"/>'s. The file runs in WAL
/// mode with a busy timeout and synchronous=FULL, so a killed process loses nothing it committed; the dequeue's lock is
/// the immediate transaction (one writer at a time).
/// </summary>
internal sealed class SqliteRunStore : RunStoreBase
{
    private readonly string _connectionString;
    private readonly string _path;
    private readonly int _busyTimeoutMilliseconds;

    public SqliteRunStore(StorageOptions options, TimeProvider? time = null)
        : base(options, time)
    {
        _path = Path.GetFullPath(options.DatabasePath);
        _busyTimeoutMilliseconds = options.BusyTimeoutMilliseconds;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Math.Max(1, _busyTimeoutMilliseconds / 1000),
        }.ToString();
    }

    private static readonly IReadOnlyList<string> s_migrations = RunStoreSchema.Migrations(RunStoreSchema.SqliteIdentity);

    private const string MigrationsTable = RunStoreSchema.MigrationsTable;

    protected override string DequeueLockClause => string.Empty;

    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
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

                for (var version = current + 1; version <= s_migrations.Count; version++)
                {
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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

        if (version > s_migrations.Count)
        {
            throw new RunStoreException($"The run store '{_path}' has schema version {version}, newer than this program knows ({s_migrations.Count}); nothing in it was changed. Use a newer 'agent' or another Storage:DatabasePath.");
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

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, null, $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture)}; PRAGMA synchronous = FULL;", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override RunStoreException? Translate(Exception error)
    {
        if (error is not SqliteException e)
        {
            return null;
        }

        var what = e.SqliteErrorCode switch
        {
            13 => "the disk is full",
            5 or 6 => $"the database stayed locked longer than Storage:BusyTimeoutMilliseconds ({_busyTimeoutMilliseconds} ms)",
            8 => "the file is read-only",
            14 => "the file cannot be opened (check the folder exists and is writable)",
            _ => e.Message,
        };
        return new RunStoreException($"The run store '{_path}' failed: {what}. (SQLite error {e.SqliteErrorCode}: {e.Message})", e);
    }
}
