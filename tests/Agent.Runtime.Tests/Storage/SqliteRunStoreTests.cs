using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Data.Sqlite;

namespace Agent.Runtime.Tests.Storage;

/// <summary>The SQLite run store: the shared contract (<see cref="RunStoreContractTests"/>) and what only a file has.</summary>
public sealed class SqliteRunStoreTests : RunStoreContractTests
{
    protected override Task<StorageOptions> NewDatabaseAsync() =>
        Task.FromResult(new StorageOptions { DatabasePath = Path.Combine(RuntimeHarness.NewFolder(), "agent.db"), LeaseSeconds = 5 });

    private static async Task<SqliteRunStore> NewStoreAsync()
    {
        var store = new SqliteRunStore(new StorageOptions { DatabasePath = Path.Combine(RuntimeHarness.NewFolder(), "agent.db"), LeaseSeconds = 5 });
        await store.InitializeAsync();
        return store;
    }

    [Theory]
    [InlineData("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO runs (name) VALUES ('someone else''s row');", "runs")]
    [InlineData("CREATE TABLE action_log (id INTEGER PRIMARY KEY, what TEXT);", "action_log")]
    [InlineData("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);", "invoices")]
    [InlineData("CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL); INSERT INTO schema_migrations VALUES (1, 0); CREATE TABLE runs (id VARCHAR(64) NOT NULL PRIMARY KEY, task TEXT NOT NULL);", "runs")]
    public async Task InitializeAsync_ForeignTable_RefusesNamingFileAndTableAndLeavesTheFileUntouched(string foreignSchema, string table)
    {
        var path = Path.Combine(RuntimeHarness.NewFolder(), "agent.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = foreignSchema;
            await command.ExecuteNonQueryAsync();
        }

        var before = await File.ReadAllBytesAsync(path);
        var store = new SqliteRunStore(new StorageOptions { DatabasePath = path });

        var refused = await Assert.ThrowsAsync<RunStoreException>(() => store.InitializeAsync());

        Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"'{table}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:DatabasePath", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + "-wal"), "a WAL file was created: the store wrote to a database it refused");
    }

    [Fact]
    public async Task InitializeAsync_NotADatabase_RefusesNamingTheFileAndLeavesItUntouched()
    {
        var path = Path.Combine(RuntimeHarness.NewFolder(), "agent.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, "these are somebody's notes, not a database\n");
        var before = await File.ReadAllBytesAsync(path);

        var refused = await Assert.ThrowsAsync<RunStoreException>(() => new SqliteRunStore(new StorageOptions { DatabasePath = path }).InitializeAsync());

        Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task InitializeAsync_OwnStoreOfThisVersion_OpensAndKeepsItsRuns()
    {
        var path = Path.Combine(RuntimeHarness.NewFolder(), "agent.db");
        var first = new SqliteRunStore(new StorageOptions { DatabasePath = path });
        await first.InitializeAsync();
        var run = await first.EnqueueAsync("t", "m");
        SqliteConnection.ClearAllPools();

        var second = new SqliteRunStore(new StorageOptions { DatabasePath = path });
        await second.InitializeAsync();

        Assert.Equal("t", (await second.GetRunAsync(run.Id))!.Task);
    }

    [Fact]
    public async Task InitializeAsync_StoreOfVersion1_MigratesAndKeepsItsEntriesWithoutClassifier()
    {
        var path = Path.Combine(RuntimeHarness.NewFolder(), "agent.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var migrations = RunStoreSchema.Migrations(RunStoreSchema.SqliteIdentity);
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL); INSERT INTO schema_migrations VALUES (1, 0);"
                + migrations[0]
                + """
                INSERT INTO action_log (run_id, step, tool, arguments, arguments_hash, decision, rule, policy_version, model, temptation, trace, created_at, review_status)
                VALUES ('r1', 1, 'shell.run', '{}', 'h', 'block', 'tag:powerseeking:block any=0.9>=0.7', 'v', 'm', '{"powerseeking":{"max":0.5,"mean":0.1,"any":0.9}}', '{}', 0, 'none');
                """;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteRunStore(new StorageOptions { DatabasePath = path });
        await store.InitializeAsync();

        var old = Assert.Single(await store.QueryLogAsync(new LogQuery { Tag = "powerseeking" }));
        Assert.Equal(0.9, old.Temptation["powerseeking"].Any);
        Assert.Empty(old.Classifier);
        Assert.Equal((null, GateSignal.None), (old.FiredTag, old.FiredSignal));
        Assert.Empty(old.Fired);
    }

    [Fact]
    public async Task InitializeAsync_StoreOfVersion3_AddsTheModeColumnsAndKeepsItsRowsWithoutAModeSignal()
    {
        var path = Path.Combine(RuntimeHarness.NewFolder(), "agent.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var migrations = RunStoreSchema.Migrations(RunStoreSchema.SqliteIdentity);
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL); INSERT INTO schema_migrations VALUES (1, 0), (2, 0), (3, 0);"
                + migrations[0] + migrations[1] + migrations[2]
                + """
                INSERT INTO runs (id, task, status, model, steps, tokens, elapsed_ms, malformed_calls, blocked_actions, created_at, updated_at) VALUES ('r1', 't', 'blocked', 'm', 1, 3, 0, 0, 1, 0, 0);
                INSERT INTO run_steps (run_id, step, kind, model_line, status, temptation, tokens, created_at) VALUES ('r1', 1, 'call', 'call x', 'blocked', '{}', 3, 0);
                INSERT INTO action_log (run_id, step, tool, arguments, arguments_hash, decision, rule, policy_version, model, temptation, trace, created_at, review_status)
                VALUES ('r1', 1, 'shell.run', '{}', 'h', 'block', 'tag:powerseeking:block any=0.9>=0.7', 'v', 'm', '{}', '{"tags":["powerseeking"],"tokens":[{"text":"call","p_token":0.5,"p":[0.9]}],"classifier":null}', 0, 'none');
                """;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteRunStore(new StorageOptions { DatabasePath = path });
        await store.InitializeAsync();

        var old = Assert.Single(await store.QueryLogAsync(new LogQuery { RunId = "r1" }));
        Assert.Null(old.Mode);
        Assert.Null(Assert.Single(old.Trace.Tokens).Mode2);
        Assert.Null(Assert.Single(await store.GetStepsAsync("r1")).Mode);
        await store.SaveStepAsync(new StepRecord { RunId = "r1", Step = 2, Kind = StepKind.Answer, Status = StepStatus.Answered, Mode = new ModeSignal(0.75, 0.5) });
        Assert.Equal(0.75, (await store.GetStepsAsync("r1"))[1].Mode!.Mean);
        await using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        await check.OpenAsync();
        await using var version = check.CreateCommand();
        version.CommandText = "SELECT MAX(version) FROM schema_migrations;";
        Assert.Equal(4L, (long)(await version.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task GetLogEntryAsync_RowWithTodaysTraceJson_ReadsTypedAndStoresTheSameBytesAgain()
    {
        var store = await NewStoreAsync();
        var run = await store.EnqueueAsync("t", "m");
        await using (var connection = new SqliteConnection($"Data Source={StorePath(store)};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO action_log (run_id, step, tool, arguments, arguments_hash, decision, rule, policy_version, model, temptation, trace, created_at, review_status)
                VALUES (@run, 1, 'shell.run', '{}', 'h', 'block', 'tag:powerseeking:block any=0.9>=0.7', 'v', 'm', '{}', @trace, 0, 'none');
                """;
            command.Parameters.AddWithValue("@run", run.Id);
            command.Parameters.AddWithValue("@trace", TraceJsonTests.TodaysFormat);
            await command.ExecuteNonQueryAsync();
        }

        var old = Assert.Single(await store.QueryLogAsync(new LogQuery { RunId = run.Id }));
        var again = await store.RecordGateEntryAsync(old with { Id = 0, Step = 2 }, new StepRecord { RunId = run.Id, Step = 2, Kind = StepKind.Call, Status = StepStatus.Blocked });

        Assert.Equal(["deceit", "mode1", "powerseeking"], old.Trace.Tags.ToArray());
        Assert.Equal(0.75, old.Trace.Tokens[1].Probabilities[2]);
        Assert.Equal((0.97, true), (old.Trace.Classifier!.Probabilities["powerseeking"], old.Trace.Classifier.Truncated));
        await using (var connection = new SqliteConnection($"Data Source={StorePath(store)};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT trace FROM action_log WHERE id = @id";
            command.Parameters.AddWithValue("@id", again.Id);
            Assert.Equal(TraceJsonTests.TodaysFormat, (string?)await command.ExecuteScalarAsync());
        }
    }

    private static string StorePath(SqliteRunStore store) =>
        (string)typeof(SqliteRunStore).GetField("_path", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(store)!;
}
