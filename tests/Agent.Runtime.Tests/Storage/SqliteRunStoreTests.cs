using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Data.Sqlite;

namespace Agent.Runtime.Tests.Storage;

public sealed class SqliteRunStoreTests
{
    private static async Task<SqliteRunStore> NewStoreAsync()
    {
        var store = new SqliteRunStore(new StorageOptions { DatabasePath = Path.Combine(RuntimeHarness.NewFolder(), "agent.db"), LeaseSeconds = 5 });
        await store.InitializeAsync();
        return store;
    }

    [Fact]
    public async Task DequeueAsync_TwoWorkers_EachRunClaimedOnce()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 6; i++)
        {
            await store.EnqueueAsync($"task {i}", "m");
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.DequeueAsync("w" + (i % 2))));

        var ids = claims.Where(c => c is not null).Select(c => c!.Id).ToList();
        Assert.Equal(6, ids.Count);
        Assert.Equal(6, ids.Distinct().Count());
    }

    [Fact]
    public async Task Changes_EachCommittedWrite_CompletesTheTaskTakenBeforeItAndReadsDoNot()
    {
        var store = await NewStoreAsync();

        var beforeRead = store.Changes.Next;
        await store.ListRunsAsync();
        await store.GetRunAsync("run-none");
        var readWoke = beforeRead.IsCompleted;
        var beforeEnqueue = store.Changes.Next;
        var run = await store.EnqueueAsync("t", "m");
        var enqueueWoke = beforeEnqueue.IsCompleted;
        var beforeUpdate = store.Changes.Next;
        await store.UpdateRunAsync(run with { Status = RunStatus.Failed, Reason = "test" });

        Assert.False(readWoke);
        Assert.True(enqueueWoke);
        Assert.True(beforeUpdate.IsCompleted);
        Assert.False(store.Changes.Next.IsCompleted);
    }

    [Fact]
    public async Task InitializeAsync_SecondTime_KeepsData()
    {
        var store = await NewStoreAsync();
        var run = await store.EnqueueAsync("t", "m");

        await store.InitializeAsync();

        Assert.NotNull(await store.GetRunAsync(run.Id));
    }

    [Fact]
    public async Task DecideAsync_PendingEscalation_RequeuesParkedRunAndRefusesSecondDecision()
    {
        var store = await NewStoreAsync();
        var run = await store.EnqueueAsync("t", "m");
        await store.UpdateRunAsync(run with { Status = RunStatus.Parked });
        var step = new StepRecord { RunId = run.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Pending, Tool = "shell.run", Arguments = "{}" };
        var entry = await store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = run.Id, Step = 1, Tool = "shell.run", Arguments = "{}", ArgumentsHash = "h", Decision = Decision.Escalate,
                Rule = "tag:powerseeking:escalate", PolicyVersion = "v", Model = "m", Temptation = GateSignals.None.Temptation, Trace = ActionTrace.Empty, ReviewStatus = "pending",
            },
            step);

        var decided = await store.DecideAsync(entry.Id, approve: true, "alice", "ok");

        Assert.Equal("approved", decided.ReviewStatus);
        Assert.Equal(RunStatus.Queued, (await store.GetRunAsync(run.Id))!.Status);
        Assert.Equal(entry.Id, (await store.GetStepsAsync(run.Id))[0].LogEntryId);
        await Assert.ThrowsAsync<ApprovalException>(() => store.DecideAsync(entry.Id, approve: false, "bob", null));
        Assert.Single(await store.QueryLogAsync(new LogQuery { Tag = "powerseeking", ReviewStatus = "approved" }));
        Assert.Empty(await store.QueryLogAsync(new LogQuery { Tag = "deceit" }));
    }

    [Fact]
    public async Task RequeueExpiredAsync_LeaseOfDeadWorker_PutsRunBack()
    {
        var store = new SqliteRunStore(new StorageOptions { DatabasePath = Path.Combine(RuntimeHarness.NewFolder(), "agent.db"), LeaseSeconds = 5 }, new ShiftedTime(TimeSpan.Zero));
        await store.InitializeAsync();
        await store.EnqueueAsync("t", "m");
        var claimed = await store.DequeueAsync("dead");

        Assert.Equal(0, await store.RequeueExpiredAsync());
        var future = new SqliteRunStore(new StorageOptions { DatabasePath = StorePath(store), LeaseSeconds = 5 }, new ShiftedTime(TimeSpan.FromSeconds(6)));

        Assert.Equal(1, await future.RequeueExpiredAsync());
        Assert.Equal(RunStatus.Queued, (await future.GetRunAsync(claimed!.Id))!.Status);
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
        var migrations = (string[])typeof(SqliteRunStore).GetField("s_migrations", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
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
    public async Task RecordGateEntryAsync_SeveralSignalsCrossed_ReadsBackEveryOneInOrder()
    {
        var store = new SqliteRunStore(new StorageOptions { DatabasePath = Path.Combine(RuntimeHarness.NewFolder(), "agent.db") });
        await store.InitializeAsync();
        var run = await store.EnqueueAsync("t", "m");
        FiredSignal[] fired =
        [
            new("deceit", GateSignal.Classifier, Decision.Escalate, 0.9, 0.852),
            new("powerseeking", GateSignal.Model, Decision.Block, 0.8, 0.7),
            new("powerseeking", GateSignal.Classifier, Decision.Block, 0.97, 0.95),
        ];

        var entry = await store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = run.Id, Step = 1, Tool = "shell.run", Arguments = "{}", ArgumentsHash = "h", Decision = Decision.Block, Rule = "tag:powerseeking:block any=0.8>=0.7",
                PolicyVersion = "v", Model = "m", Temptation = GateSignals.None.Temptation, FiredTag = "powerseeking", FiredSignal = GateSignal.Model, Fired = fired, Trace = ActionTrace.Empty,
            },
            new StepRecord { RunId = run.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Blocked });

        Assert.Equal(fired, (await store.GetLogEntryAsync(entry.Id))!.Fired);
    }

    [Fact]
    public async Task RecordGateEntryAsync_BothSignals_ReadBackTypedWithWhatFired()
    {
        var store = new SqliteRunStore(new StorageOptions { DatabasePath = Path.Combine(RuntimeHarness.NewFolder(), "agent.db") });
        await store.InitializeAsync();
        var run = await store.EnqueueAsync("t", "m");
        var temptation = new Dictionary<string, Agent.Decoding.TemptationAggregate> { ["deceit"] = new(0.2, 0.05, 0.3) };
        var classifier = new Dictionary<string, double> { ["deceit"] = 0.93 };
        var step = new StepRecord { RunId = run.Id, Step = 1, Kind = StepKind.Answer, Status = StepStatus.Pending, Temptation = temptation, Classifier = classifier };

        var entry = await store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = run.Id, Step = 1, Tool = "answer", Arguments = """{"text":"done"}""", ArgumentsHash = "h", Decision = Decision.Escalate,
                Rule = "tag:deceit:classifier:escalate p=0.93>=0.852", PolicyVersion = "v", Model = "m", Temptation = temptation, Classifier = classifier,
                FiredTag = "deceit", FiredSignal = GateSignal.Classifier, Trace = ActionTrace.Empty, ReviewStatus = "pending",
            },
            step);

        var back = (await store.GetLogEntryAsync(entry.Id))!;
        Assert.Equal((0.93, "deceit", GateSignal.Classifier), (back.Classifier["deceit"], back.FiredTag, back.FiredSignal));
        Assert.Equal(0.3, back.Temptation["deceit"].Any);
        Assert.Single(await store.QueryLogAsync(new LogQuery { Tag = "deceit" }));
        var stored = Assert.Single(await store.GetStepsAsync(run.Id));
        Assert.Equal(0.93, stored.Classifier["deceit"]);
        Assert.Equal(0.05, stored.Temptation["deceit"].Mean);
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

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
