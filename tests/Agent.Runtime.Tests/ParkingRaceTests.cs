using Agent.Decoding.Transcripts;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Agent.TestSupport;

namespace Agent.Runtime.Tests;

/// <summary>
/// An approval that lands while its run is parking, made deterministic: the store the runner writes through decides the
/// approval the moment the gate records the escalation (before the run is written <c>parked</c>), and notes whether the
/// run's workspace is already saved when <c>parked</c> is written (from then on an approval queues
/// the run and another host may take it up). Real Docker, real llama.cpp, SQLite and PostgreSQL.
/// </summary>
[Collection(RuntimeCollectionDefinition.Name)]
public sealed class ParkingRaceTests
{
    private const string Gated = """
        { "Policy": { "Aggregate": "any",
          "Tags": { "powerseeking": { "Escalate": 0.3, "Block": null } },
          "Tools": { "shell.run": {}, "files.read": {}, "files.write": {}, "files.list": {},
                     "answer": { "Tags": { "powerseeking": { "Escalate": null, "Block": null } } } } } }
        """;

    private static string Shell(string command) => "call " + ToolCall.Shell(command).ToString()["call ".Length..];

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task RunAsync_ApprovedWhileParking_QueuedAgainAndResumesWithItsWorkspace(string engine)
    {
        var folder = RuntimeHarness.NewFolder();
        var settings = engine == "postgresql"
            ? new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "PostgreSql",
                ["Storage:ConnectionString"] = await PostgresServer.NewDatabaseAsync("parking"),
                ["Storage:WorkspacesPath"] = Path.Combine(folder, "workspaces"),
            }
            : null;
        DecidingStore? store = null;
        await using var h = await RuntimeHarness.CreateAsync(folder, Gated,
            [Shell("echo seed-42 > seed.txt"), Shell("cat seed.txt"), "answer done"], new TinyModelSpec { FavouredToken = "<powerseeking>" }, settings,
            wrapStore: inner => store = new DecidingStore(inner));
        store!.Workspaces = h.Workspaces;

        var run = await h.RunNewAsync("Write a seed file and read it back");
        var runs = 1;
        while (run.Status == RunStatus.Queued && runs++ < 6)
        {
            run = await h.ResumeAsync(run.Id);
        }

        // Each call escalated and was approved before its run was written parked; the runner saw it and queued the run.
        Assert.Equal(2, store.Decided.Count);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.DoesNotContain("EMPTY workspace", run.Reason ?? string.Empty, StringComparison.Ordinal);
        var steps = await h.Store.GetStepsAsync(run.Id);
        var cat = steps.Single(s => s.Arguments?.Contains("cat seed.txt", StringComparison.Ordinal) == true);
        Assert.Equal(StepStatus.Completed, cat.Status);
        Assert.Contains("seed-42", cat.Result!.Stdout, StringComparison.Ordinal);

        // When `parked` was written after a tool had run, the workspace was already saved (the sandbox is removed after the save).
        var afterTool = store.Parks.Where(p => p.Executions > 0).ToList();
        Assert.NotEmpty(afterTool);
        Assert.All(afterTool, p => Assert.True(p.ArchiveSaved, $"run {run.Id} was written parked before its workspace was saved to {h.Workspaces.ArchivePath(run.Id)}"));
    }

    /// <summary>The real store, deciding each escalation as soon as it is recorded and noting the workspace at each park.</summary>
    private sealed class DecidingStore(IRunStore inner) : IRunStore, IAsyncDisposable
    {
        public IRunWorkspaces? Workspaces { get; set; }

        public List<long> Decided { get; } = [];

        public List<(int Executions, bool ArchiveSaved)> Parks { get; } = [];

        public RunStoreChanges Changes => inner.Changes;

        public async Task<ActionLogEntry> RecordGateEntryAsync(ActionLogEntry entry, StepRecord record, CancellationToken cancellationToken = default)
        {
            var recorded = await inner.RecordGateEntryAsync(entry, record, cancellationToken);
            if (recorded.Decision == Decision.Escalate)
            {
                await inner.DecideAsync(recorded.Id, approve: true, "alice", "approved as it parked", cancellationToken);
                Decided.Add(recorded.Id);
            }

            return recorded;
        }

        public async Task UpdateRunAsync(RunRecord run, CancellationToken cancellationToken = default)
        {
            if (run.Status == RunStatus.Parked)
            {
                Parks.Add((await inner.CountExecutionsAsync(run.Id, null, cancellationToken), File.Exists(Workspaces!.ArchivePath(run.Id))));
            }

            await inner.UpdateRunAsync(run, cancellationToken);
        }

        public Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

        public Task<RunRecord> EnqueueAsync(string task, string model, CancellationToken cancellationToken = default) => inner.EnqueueAsync(task, model, cancellationToken);

        public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => inner.GetRunAsync(runId, cancellationToken);

        public Task<IReadOnlyList<RunRecord>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default) => inner.ListRunsAsync(limit, cancellationToken);

        public Task<RunRecord?> DequeueAsync(string owner, CancellationToken cancellationToken = default) => inner.DequeueAsync(owner, cancellationToken);

        public Task<bool> TryClaimAsync(string runId, string owner, CancellationToken cancellationToken = default) => inner.TryClaimAsync(runId, owner, cancellationToken);

        public Task<bool> RenewLeaseAsync(string runId, string owner, CancellationToken cancellationToken = default) => inner.RenewLeaseAsync(runId, owner, cancellationToken);

        public Task<int> RequeueExpiredAsync(CancellationToken cancellationToken = default) => inner.RequeueExpiredAsync(cancellationToken);

        public Task<IReadOnlyList<StepRecord>> GetStepsAsync(string runId, CancellationToken cancellationToken = default) => inner.GetStepsAsync(runId, cancellationToken);

        public Task SaveStepAsync(StepRecord record, CancellationToken cancellationToken = default) => inner.SaveStepAsync(record, cancellationToken);

        public Task DeleteProposedStepAsync(string runId, int stepNumber, CancellationToken cancellationToken = default) => inner.DeleteProposedStepAsync(runId, stepNumber, cancellationToken);

        public Task MarkStartedAsync(StepRecord record, CancellationToken cancellationToken = default) => inner.MarkStartedAsync(record, cancellationToken);

        public Task<int> CountExecutionsAsync(string runId, int? stepNumber = null, CancellationToken cancellationToken = default) => inner.CountExecutionsAsync(runId, stepNumber, cancellationToken);

        public Task<ActionLogEntry?> GetLogEntryAsync(long id, CancellationToken cancellationToken = default) => inner.GetLogEntryAsync(id, cancellationToken);

        public Task<IReadOnlyList<ActionLogEntry>> QueryLogAsync(LogQuery query, CancellationToken cancellationToken = default) => inner.QueryLogAsync(query, cancellationToken);

        public Task<ActionLogEntry> DecideAsync(long id, bool approve, string reviewer, string? reason, CancellationToken cancellationToken = default) => inner.DecideAsync(id, approve, reviewer, reason, cancellationToken);

        public Task<bool> RequeueDecidedAsync(string runId, long logEntryId, CancellationToken cancellationToken = default) => inner.RequeueDecidedAsync(runId, logEntryId, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (inner is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }
}
