using Agent.Runtime.Storage;
using Agent.TestSupport;
using Npgsql;

namespace Agent.Runtime.Tests.Storage;

/// <summary>
/// The PostgreSQL run store, on a throwaway cluster this test process starts (<see cref="PostgresServer"/>), one database
/// per test: the shared contract (<see cref="RunStoreContractTests"/>) and what only a server has.
/// </summary>
public sealed class PostgreSqlRunStoreTests : RunStoreContractTests
{
    protected override async Task<StorageOptions> NewDatabaseAsync() => new()
    {
        Provider = StorageProvider.PostgreSql,
        ConnectionString = await PostgresServer.NewDatabaseAsync("store"),
        WorkspacesPath = RuntimeHarness.NewFolder(),
        LeaseSeconds = 5,
    };

    [Theory]
    [InlineData("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);", "'invoices'")]
    [InlineData("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT);", "no 'schema_migrations'")]
    public async Task InitializeAsync_AnotherProgramsDatabase_RefusesNamingTheTableAndChangesNothing(string foreignSchema, string named)
    {
        var options = await NewDatabaseAsync();
        await ExecAsync(options.ConnectionString!, foreignSchema);

        var refused = await Assert.ThrowsAsync<RunStoreException>(() => RuntimeServiceCollectionExtensions.CreateStore(options).InitializeAsync());

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync(options.ConnectionString!, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations';"));
    }

    [Fact]
    public async Task InitializeAsync_DatabaseThatDoesNotExist_SaysSoAndHowToFixIt()
    {
        var options = await NewDatabaseAsync();
        options.ConnectionString = PostgresServer.ConnectionString("no_such_database");

        var refused = await Assert.ThrowsAsync<RunStoreException>(() => RuntimeServiceCollectionExtensions.CreateStore(options).InitializeAsync());

        Assert.Contains("'no_such_database'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitializeAsync_NoServerListening_SaysItCannotBeReached()
    {
        var options = await NewDatabaseAsync();
        options.ConnectionString = new NpgsqlConnectionStringBuilder { Host = RuntimeHarness.NewFolder(), Database = "agent", Username = "agent", Timeout = 3 }.ToString();

        var refused = await Assert.ThrowsAsync<RunStoreException>(() => RuntimeServiceCollectionExtensions.CreateStore(options).InitializeAsync());

        Assert.Contains("cannot be reached", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitializeAsync_StoreOfVersion3_AddsTheModeColumnsAndKeepsItsRowsWithoutAModeSignal()
    {
        var options = await NewDatabaseAsync();
        var migrations = RunStoreSchema.Migrations(RunStoreSchema.PostgreSqlIdentity);
        await ExecAsync(options.ConnectionString!, RunStoreSchema.MigrationsTable + "INSERT INTO schema_migrations VALUES (1, 0), (2, 0), (3, 0);" + migrations[0] + migrations[1] + migrations[2]
            + """
            INSERT INTO action_log (run_id, step, tool, arguments, arguments_hash, decision, rule, policy_version, model, temptation, trace, created_at, review_status)
            VALUES ('r1', 1, 'shell.run', '{}', 'h', 'block', 'tag:powerseeking:block any=0.9>=0.7', 'v', 'm', '{}', '{"tags":["powerseeking"],"tokens":[{"text":"call","p_token":0.5,"p":[0.9]}],"classifier":null}', 0, 'none');
            """);

        var store = await OpenAsync(options);

        var old = Assert.Single(await store.QueryLogAsync(new LogQuery { RunId = "r1" }));
        Assert.Null(old.Mode);
        Assert.Null(Assert.Single(old.Trace.Tokens).Mode2);
        Assert.Equal(4, Convert.ToInt32(await ScalarAsync(options.ConnectionString!, "SELECT MAX(version) FROM schema_migrations;"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2L, (long)(await ScalarAsync(options.ConnectionString!, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'mode2';"))!);
    }

    [Fact]
    public async Task InitializeAsync_SchemaOfTheCurrentVersion_IsTheSameTablesAndColumnsAsSqlite()
    {
        var options = await NewDatabaseAsync();
        await OpenAsync(options);

        var columns = new List<string>();
        await using var connection = new NpgsqlConnection(options.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position;", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add(reader.GetString(0));
        }

        var sqlite = await SqliteColumnsAsync();
        Assert.Equal(sqlite, columns);
        Assert.Equal(RunStoreSchema.Version, (int)(long)(await ScalarAsync(options.ConnectionString!, "SELECT COUNT(*) FROM schema_migrations;"))!);
    }

    [Fact]
    public async Task WaitForChangeAsync_RunEnqueuedThroughAnotherHost_WakesTheWaiterByNotify()
    {
        var options = await NewDatabaseAsync();
        var waiter = Assert.IsAssignableFrom<IRunChangeSignal>(await OpenAsync(options));
        var other = await OpenAsync(options);

        var quiet = await waiter.WaitForChangeAsync(TimeSpan.FromMilliseconds(200));
        var woke = waiter.WaitForChangeAsync(TimeSpan.FromSeconds(120));
        for (var i = 0; i < 100 && !woke.IsCompleted; i++)
        {
            // The listening connection opens on the first wait; enqueue until it has heard one.
            await other.EnqueueAsync($"t{i}", "m");
            await Task.WhenAny(woke, Task.Delay(500));
        }

        Assert.False(quiet, "a wait with no change in the database was woken");
        Assert.True(await woke, "no NOTIFY reached the waiting store");
    }

    private static async Task<List<string>> SqliteColumnsAsync()
    {
        var path = Path.Combine(RuntimeHarness.NewFolder(), "agent.db");
        await new SqliteRunStore(new StorageOptions { DatabasePath = path }).InitializeAsync();
        var columns = new List<string>();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid;";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private static async Task ExecAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
