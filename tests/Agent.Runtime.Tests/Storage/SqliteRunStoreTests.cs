using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

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
                Rule = "tag:powerseeking:escalate", PolicyVersion = "v", Model = "m", Temptation = "{}", Trace = "{}", ReviewStatus = "pending",
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

    private static string StorePath(SqliteRunStore store) =>
        (string)typeof(SqliteRunStore).GetField("_path", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(store)!;

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
