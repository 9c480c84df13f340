using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Tests.Storage;

/// <summary>
/// The contract of <see cref="IRunStore"/>, run against every engine: each derived class (<see cref="SqliteRunStoreTests"/>,
/// <see cref="PostgreSqlRunStoreTests"/>) supplies a fresh database and inherits every test here, so both stores pass the
/// same queue, lease, journal, approval and log tests.
/// </summary>
public abstract class RunStoreContractTests
{
    /// <summary>The options of a new, empty database of the engine under test (lease 5 s).</summary>
    protected abstract Task<StorageOptions> NewDatabaseAsync();

    protected static async Task<IRunStore> OpenAsync(StorageOptions options, TimeSpan shift = default)
    {
        var store = RuntimeServiceCollectionExtensions.CreateStore(options, shift == default ? null : new ShiftedTime(shift));
        await store.InitializeAsync();
        return store;
    }

    private async Task<IRunStore> NewStoreAsync() => await OpenAsync(await NewDatabaseAsync());

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
    public async Task RequeueExpiredAsync_WorkerKilledBetweenParkAndItsRequeue_QueuesTheDecidedRunOnce()
    {
        var store = await NewStoreAsync();
        var run = await store.EnqueueAsync("t", "m");
        var waiting = await store.EnqueueAsync("t2", "m");
        Assert.True(await store.TryClaimAsync(run.Id, "w1"));
        Assert.True(await store.TryClaimAsync(waiting.Id, "w1"));
        var decided = await EscalateAsync(store, run.Id, 1);
        await EscalateAsync(store, waiting.Id, 1);

        // Decided while the run still ran; the worker wrote parked and was killed before RequeueDecidedAsync.
        await store.DecideAsync(decided.Id, approve: true, "alice", null);
        await store.UpdateRunAsync((await store.GetRunAsync(run.Id))! with { Status = RunStatus.Parked, LeaseOwner = "w1" });
        await store.UpdateRunAsync((await store.GetRunAsync(waiting.Id))! with { Status = RunStatus.Parked, LeaseOwner = "w1" });

        Assert.Equal(1, await store.RequeueExpiredAsync());
        var requeued = (await store.GetRunAsync(run.Id))!;
        Assert.Equal(RunStatus.Queued, requeued.Status);
        Assert.Contains("approval was decided while it parked", requeued.Reason, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Parked, (await store.GetRunAsync(waiting.Id))!.Status);
        Assert.Equal(0, await store.RequeueExpiredAsync());
    }

    [Fact]
    public async Task RequeueDecidedAsync_DecidedBeforeOrAfterThePark_QueuesTheRunExactlyOnce()
    {
        var store = await NewStoreAsync();
        var run = await store.EnqueueAsync("t", "m");
        Assert.True(await store.TryClaimAsync(run.Id, "w1"));
        var first = await EscalateAsync(store, run.Id, 1);

        // Decided while the run still runs: the decision cannot queue it; the runner's call after writing parked does, once.
        await store.DecideAsync(first.Id, approve: true, "alice", null);
        Assert.Equal(RunStatus.Running, (await store.GetRunAsync(run.Id))!.Status);
        Assert.False(await store.RequeueDecidedAsync(run.Id, first.Id), "a running run must not be queued");
        await store.UpdateRunAsync((await store.GetRunAsync(run.Id))! with { Status = RunStatus.Parked, LeaseOwner = "w1" });
        Assert.True(await store.RequeueDecidedAsync(run.Id, first.Id));
        Assert.False(await store.RequeueDecidedAsync(run.Id, first.Id));
        Assert.Equal(RunStatus.Queued, (await store.GetRunAsync(run.Id))!.Status);

        // The run resumed, the approved call ran, and it parked on a new escalation: the old approval queues nothing.
        Assert.True(await store.TryClaimAsync(run.Id, "w2"));
        await store.SaveStepAsync((await store.GetStepsAsync(run.Id))[0] with { Status = StepStatus.Completed });
        var second = await EscalateAsync(store, run.Id, 2);
        await store.UpdateRunAsync((await store.GetRunAsync(run.Id))! with { Status = RunStatus.Parked, LeaseOwner = "w2" });
        Assert.False(await store.RequeueDecidedAsync(run.Id, first.Id));
        Assert.False(await store.RequeueDecidedAsync(run.Id, second.Id), "a pending approval must not queue the run");
        Assert.Equal(RunStatus.Parked, (await store.GetRunAsync(run.Id))!.Status);

        // Decided after the park: the decision queues it and the runner's call finds nothing left to do.
        await store.DecideAsync(second.Id, approve: false, "bob", null);
        Assert.Equal(RunStatus.Queued, (await store.GetRunAsync(run.Id))!.Status);
        Assert.False(await store.RequeueDecidedAsync(run.Id, second.Id));
    }

    private static Task<ActionLogEntry> EscalateAsync(IRunStore store, string runId, int step) =>
        store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = runId, Step = step, Tool = "shell.run", Arguments = "{}", ArgumentsHash = "h", Decision = Decision.Escalate,
                Rule = "tag:powerseeking:escalate", PolicyVersion = "v", Model = "m", Temptation = GateSignals.None.Temptation, Trace = ActionTrace.Empty, ReviewStatus = "pending",
            },
            new StepRecord { RunId = runId, Step = step, Kind = StepKind.Call, Status = StepStatus.Pending, Tool = "shell.run", Arguments = "{}" });

    [Fact]
    public async Task RequeueExpiredAsync_LeaseOfDeadWorker_PutsRunBack()
    {
        var options = await NewDatabaseAsync();
        var store = await OpenAsync(options);
        await store.EnqueueAsync("t", "m");
        var claimed = await store.DequeueAsync("dead");

        Assert.Equal(0, await store.RequeueExpiredAsync());
        var future = await OpenAsync(options, TimeSpan.FromSeconds(6));

        Assert.Equal(1, await future.RequeueExpiredAsync());
        Assert.Equal(RunStatus.Queued, (await future.GetRunAsync(claimed!.Id))!.Status);
    }

    [Fact]
    public async Task RecordGateEntryAsync_SeveralSignalsCrossed_ReadsBackEveryOneInOrder()
    {
        var store = await NewStoreAsync();
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
        var store = await NewStoreAsync();
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
    public async Task RecordGateEntryAsync_ModeSignal_ReadsBackMeanMinPerTokenPMode2AndTheModeRule()
    {
        var store = await NewStoreAsync();
        var run = await store.EnqueueAsync("t", "m");
        var mode = new ModeSignal(0.25, 0.125);
        var trace = new ActionTrace(["powerseeking"], [new ActionTraceToken("call", 0.9, [0.01]) { Mode2 = 0.125 }, new ActionTraceToken(" x", 0.5, [0.02]) { Mode2 = 0.375 }], null);
        var fired = new FiredSignal(ActionPolicy.ModeTag, GateSignal.Mode, Decision.Escalate, 0.25, 0.5);
        var step = new StepRecord { RunId = run.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Pending, Mode = mode };
        var entry = await store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = run.Id, Step = 1, Tool = "shell.run", Arguments = "{}", ArgumentsHash = "h", Decision = Decision.Escalate, Rule = "mode:escalate mean_p_mode2=0.25<0.5",
                PolicyVersion = "v", Model = "m", Temptation = GateSignals.None.Temptation, Mode = mode, FiredSignal = GateSignal.Mode, Fired = [fired], Trace = trace, ReviewStatus = "pending",
            },
            step);
        var plainRun = await store.EnqueueAsync("t2", "m");
        await store.SaveStepAsync(new StepRecord { RunId = plainRun.Id, Step = 1, Kind = StepKind.Answer, Status = StepStatus.Answered });

        var back = (await store.GetLogEntryAsync(entry.Id))!;
        Assert.Equal((0.25, 0.125), (back.Mode!.Mean, back.Mode.Min));
        Assert.Equal([0.125, 0.375], back.Trace.Tokens.Select(t => t.Mode2!.Value));
        Assert.Equal((null, GateSignal.Mode, "mode:escalate mean_p_mode2=0.25<0.5"), (back.FiredTag, back.FiredSignal, back.Rule));
        Assert.Equal([fired], back.Fired);
        var stored = Assert.Single(await store.GetStepsAsync(run.Id));
        Assert.Equal((0.25, 0.125), (stored.Mode!.Mean, stored.Mode.Min));
        Assert.Null(Assert.Single(await store.GetStepsAsync(plainRun.Id)).Mode); // a model without a head: NULL, read back as none
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
    public async Task DequeueAsync_LeaseOfKilledHostExpired_AnotherHostTakesTheRunOverWithItsJournal()
    {
        var options = await NewDatabaseAsync();
        var host1 = await OpenAsync(options);
        var queued = await host1.EnqueueAsync("t", "m");
        Assert.Equal(queued.Id, (await host1.DequeueAsync("host1"))!.Id);
        await host1.MarkStartedAsync(new StepRecord { RunId = queued.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Proposed, Tool = "shell.run", Arguments = "{}" });
        var host2Now = await OpenAsync(options);
        var host2Later = await OpenAsync(options, TimeSpan.FromSeconds(6));

        Assert.Null(await host2Now.DequeueAsync("host2"));
        var taken = await host2Later.DequeueAsync("host2");

        Assert.Equal((queued.Id, RunStatus.Running, "host2"), (taken!.Id, taken.Status, taken.LeaseOwner));
        Assert.StartsWith("taken over by host2", taken.Reason, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Started, Assert.Single(await host2Later.GetStepsAsync(queued.Id)).Status);
        Assert.Equal(1, await host2Later.CountExecutionsAsync(queued.Id, 1));
        Assert.False(await host1.RenewLeaseAsync(queued.Id, "host1"));
        Assert.True(await host2Later.RenewLeaseAsync(queued.Id, "host2"));
    }

    [Fact]
    public async Task UpdateRunAsync_WorkerThatLostItsLease_ThrowsAndWritesNothing()
    {
        var options = await NewDatabaseAsync();
        var host1 = await OpenAsync(options);
        var queued = await host1.EnqueueAsync("t", "m");
        var mine = (await host1.DequeueAsync("host1"))!;
        var later = await OpenAsync(options, TimeSpan.FromSeconds(6));
        Assert.Equal("host2", (await later.DequeueAsync("host2"))!.LeaseOwner);

        var lost = await Assert.ThrowsAsync<LeaseLostException>(() => host1.UpdateRunAsync(mine with { Status = RunStatus.Failed, Reason = "stale" }));

        Assert.Equal((queued.Id, "host1"), (lost.RunId, lost.Owner));
        var stored = (await host1.GetRunAsync(queued.Id))!;
        Assert.Equal((RunStatus.Running, "host2"), (stored.Status, stored.LeaseOwner));
        Assert.DoesNotContain("stale", stored.Reason ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_SameEntryFromTwoHostsAtOnce_OneDecisionWinsAndTheOtherIsRefused()
    {
        var options = await NewDatabaseAsync();
        var a = await OpenAsync(options);
        var b = await OpenAsync(options);
        var run = await a.EnqueueAsync("t", "m");
        await a.UpdateRunAsync(run with { Status = RunStatus.Parked });
        var entry = await a.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = run.Id, Step = 1, Tool = "shell.run", Arguments = "{}", ArgumentsHash = "h", Decision = Decision.Escalate,
                Rule = "tag:powerseeking:escalate", PolicyVersion = "v", Model = "m", Temptation = GateSignals.None.Temptation, Trace = ActionTrace.Empty, ReviewStatus = "pending",
            },
            new StepRecord { RunId = run.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Pending, Tool = "shell.run", Arguments = "{}" });

        var outcomes = await Task.WhenAll(
            Enumerable.Range(0, 6).Select(async i =>
            {
                try
                {
                    return (await (i % 2 == 0 ? a : b).DecideAsync(entry.Id, approve: i % 3 != 0, $"reviewer{i}", null)).ReviewStatus;
                }
                catch (ApprovalException)
                {
                    return "refused";
                }
            }));

        Assert.Equal(5, outcomes.Count(o => o == "refused"));
        var stored = (await b.GetLogEntryAsync(entry.Id))!;
        Assert.Equal(outcomes.Single(o => o != "refused"), stored.ReviewStatus);
        Assert.Equal(RunStatus.Queued, (await b.GetRunAsync(run.Id))!.Status);
    }

    [Fact]
    public async Task DequeueAsync_ApprovalGivenThroughAnotherHost_ParkedRunIsDequeuedByWhicheverHostAsks()
    {
        var options = await NewDatabaseAsync();
        var parkingHost = await OpenAsync(options);
        var reviewHost = await OpenAsync(options);
        var run = await parkingHost.EnqueueAsync("t", "m");
        var claimed = (await parkingHost.DequeueAsync("host1"))!;
        await parkingHost.UpdateRunAsync(claimed with { Status = RunStatus.Parked });
        var entry = await parkingHost.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = claimed.Id, Step = 1, Tool = "shell.run", Arguments = "{}", ArgumentsHash = "h", Decision = Decision.Escalate,
                Rule = "tag:powerseeking:escalate", PolicyVersion = "v", Model = "m", Temptation = GateSignals.None.Temptation, Trace = ActionTrace.Empty, ReviewStatus = "pending",
            },
            new StepRecord { RunId = claimed.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Pending, Tool = "shell.run", Arguments = "{}" });
        Assert.Null(await reviewHost.DequeueAsync("host3"));

        await reviewHost.DecideAsync(entry.Id, approve: true, "alice", null);
        var resumed = await reviewHost.DequeueAsync("host3");

        Assert.Equal((run.Id, "host3", RunStatus.Running), (resumed!.Id, resumed.LeaseOwner, resumed.Status));
        Assert.Equal("approved", (await parkingHost.GetLogEntryAsync(entry.Id))!.ReviewStatus);
    }

    [Fact]
    public async Task CountExecutionsAsync_StartedCalls_CountsPerRunAndPerStep()
    {
        var store = await NewStoreAsync();
        var run = await store.EnqueueAsync("t", "m");
        var other = await store.EnqueueAsync("u", "m");
        foreach (var step in new[] { 1, 2, 2 })
        {
            await store.MarkStartedAsync(new StepRecord { RunId = run.Id, Step = step, Kind = StepKind.Call, Status = StepStatus.Proposed, Tool = "shell.run", Arguments = "{}" });
        }

        await store.MarkStartedAsync(new StepRecord { RunId = other.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Proposed, Tool = "shell.run", Arguments = "{}" });

        Assert.Equal((3, 1, 2, 1), (await store.CountExecutionsAsync(run.Id), await store.CountExecutionsAsync(run.Id, 1), await store.CountExecutionsAsync(run.Id, 2), await store.CountExecutionsAsync(other.Id)));
        Assert.Equal([1, 2], (await store.GetStepsAsync(run.Id)).Select(s => s.Step));
        Assert.All(await store.GetStepsAsync(run.Id), s => Assert.Equal(StepStatus.Started, s.Status));
    }

    [Fact]
    public async Task InitializeAsync_SeveralHostsAtOnce_MigrateOnceAndShareTheQueue()
    {
        var options = await NewDatabaseAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => RuntimeServiceCollectionExtensions.CreateStore(options)).ToArray();

        await Task.WhenAll(stores.Select(s => s.InitializeAsync()));
        var run = await stores[0].EnqueueAsync("t", "m");

        Assert.Equal("t", (await stores[3].GetRunAsync(run.Id))!.Task);
        Assert.Equal(run.Id, (await stores[2].DequeueAsync("w"))!.Id);
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
