using System.Diagnostics;
using System.Text.RegularExpressions;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Npgsql;
using Xunit.Abstractions;

namespace Agent.Host.Tests;

/// <summary>
/// Several hosts on one PostgreSQL: real host processes (<see cref="HostCluster"/>) on one database and one Docker
/// daemon, scripted tasks (<see cref="ChaosScripts"/>), hosts killed with SIGKILL and started again while they work.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed partial class ManyHostsTests(ITestOutputHelper output)
{
    private const int PlainRuns = 20;
    private const int GatedRuns = 10;

    [Fact]
    public async Task Serve_ThreeHostsKilledAtRandom_EveryRunSettlesNoCallRunsTwiceNoApprovalIsLost()
    {
        await using var cluster = await HostCluster.CreateAsync(3);
        var store = cluster.Store;
        var tasks = Enumerable.Range(1, PlainRuns).Select(ChaosScripts.PlainTask).Concat(Enumerable.Range(1, GatedRuns).Select(ChaosScripts.GatedTask)).ToList();
        var random = new Random(22);
        foreach (var task in tasks.OrderBy(_ => random.Next()))
        {
            await store.EnqueueAsync(task, "tiny-test-model");
        }

        await cluster.StartAllAsync();
        var watch = new HostCluster.TakeoverWatch(store);
        var clock = Stopwatch.StartNew();
        var nextKill = TimeSpan.FromSeconds(3);
        var restarts = new List<Task>();
        var kills = 0;
        var approvals = 0;
        IReadOnlyList<RunRecord> runs = [];
        while (clock.Elapsed < TimeSpan.FromSeconds(300))
        {
            runs = await watch.PollAsync();
            if (runs.All(r => r.IsTerminal))
            {
                break;
            }

            foreach (var pending in await store.QueryLogAsync(new LogQuery { ReviewStatus = "pending", Limit = 1000 }))
            {
                var live = cluster.Live.ToList();
                if (live.Count > 0 && await cluster.ApproveAsync(live[random.Next(live.Count)], pending.Id))
                {
                    approvals++;
                }
            }

            var alive = cluster.Live.ToList();
            // A host is killed every 2-4 s while at least one other listens (a killed host is back after its restart, which takes seconds).
            if (clock.Elapsed >= nextKill && kills < 6 && alive.Count >= 2)
            {
                var victim = alive[random.Next(alive.Count)];
                var pid = cluster.Pid(victim)!.Value;
                cluster.Kill(victim);
                await watch.KilledAsync(pid, Stopwatch.GetTimestamp());
                kills++;
                restarts.Add(RestartAsync(cluster, victim, TimeSpan.FromMilliseconds(1000 + random.Next(1500))));
                nextKill = clock.Elapsed + TimeSpan.FromMilliseconds(2000 + random.Next(2000));
            }

            await Task.Delay(200);
        }

        await Task.WhenAll(restarts);
        var settledAfter = clock.Elapsed;
        await cluster.StopAllAsync();
        runs = await store.ListRunsAsync(1000);
        var entries = await store.QueryLogAsync(new LogQuery { Limit = 1000 });
        var takeovers = watch.Takeovers.Order().ToList();
        output.WriteLine($"{runs.Count} runs settled in {settledAfter.TotalSeconds:0.0} s with {kills} SIGKILLs and {approvals} approvals over HTTP: " +
            string.Join(", ", runs.GroupBy(r => r.Status).Select(g => $"{g.Count()} {g.Key}")));
        output.WriteLine(takeovers.Count == 0
            ? "no run was held by a killed host"
            : $"takeovers of a killed host's running runs: {takeovers.Count}, min {takeovers[0].TotalSeconds:0.0} s, median {takeovers[takeovers.Count / 2].TotalSeconds:0.0} s, max {takeovers[^1].TotalSeconds:0.0} s (lease 5 s)");

        // Every run settled: completed, or parked / failed / stopped by a limit with its reason.
        Assert.True(runs.All(r => r.IsTerminal || r.Status == RunStatus.Parked), $"unsettled runs: {string.Join("; ", runs.Where(r => !r.IsTerminal && r.Status != RunStatus.Parked).Select(r => $"{r.Task} {r.Status}"))}\n{cluster.RecentStderr}");
        Assert.All(runs.Where(r => r.Status != RunStatus.Completed), r => Assert.False(string.IsNullOrWhiteSpace(r.Reason), $"{r.Task} is {r.Status} without a reason"));
        Assert.True(kills >= 3, $"only {kills} hosts were killed");

        // No tool call ran twice: at most one execution row per run and step.
        await using (var connection = new NpgsqlConnection(cluster.Storage.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT run_id || ' step ' || step || ': ' || COUNT(*) FROM tool_executions GROUP BY run_id, step HAVING COUNT(*) > 1;", connection);
            var duplicates = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                duplicates.Add(reader.GetString(0));
            }

            Assert.Empty(duplicates);
        }

        // No approval was lost: each escalation was decided (or its run still waits on it), and each approved call's step
        // went past pending in its run's journal.
        var escalations = entries.Where(e => e.Decision == Decision.Escalate).ToList();
        Assert.Equal(GatedRuns, escalations.Select(e => e.RunId).Distinct().Count());
        foreach (var entry in escalations)
        {
            var run = runs.Single(r => r.Id == entry.RunId);
            var step = (await store.GetStepsAsync(entry.RunId)).Single(s => s.LogEntryId == entry.Id);
            if (entry.ReviewStatus == "pending")
            {
                Assert.Equal(RunStatus.Parked, run.Status);
            }
            else
            {
                Assert.Equal("approved", entry.ReviewStatus);
                Assert.NotEqual(StepStatus.Pending, step.Status);
            }
        }

        // A gated run parked with its seed file saved to the shared folder; wherever it resumed, the file came back
        // (or the run says in its reason that its workspace was lost).
        var restored = 0;
        foreach (var run in runs.Where(r => r.Status == RunStatus.Completed && r.Task.Contains("gated", StringComparison.Ordinal)))
        {
            var steps = await store.GetStepsAsync(run.Id);
            var seeded = steps.Single(s => s.Arguments?.Contains("echo seed", StringComparison.Ordinal) == true);
            var cat = steps.Single(s => s.Arguments?.Contains("cat seed.txt", StringComparison.Ordinal) == true);
            var seed = "seed" + TaskNumber().Match(run.Task).Value;
            if (cat.Status == StepStatus.Completed && cat.Result!.Stdout.Contains(seed, StringComparison.Ordinal))
            {
                restored++;
            }
            else
            {
                // Only an interrupted call (its effects unknown, so the seed may never have been written) or a workspace
                // the run says it lost explains a missing seed. (An approval given within milliseconds of the park used to
                // requeue the run while its first host was still saving the workspace; the runner now saves it before it
                // writes `parked`: README, "Many hosts on PostgreSQL".)
                var journal = string.Join("; ", steps.Select(s => $"{s.Step} {s.Tool} {s.Status} exit={s.Result?.ExitCode} out='{s.Result?.Stdout.Trim()}' err='{s.Result?.Stderr.Trim()}'"));
                Assert.True(
                    seeded.Status == StepStatus.Interrupted || cat.Status == StepStatus.Interrupted || run.Reason?.Contains("EMPTY workspace", StringComparison.Ordinal) == true,
                    $"WORKSPACE LOST without a note: {run.Task}: 'cat seed.txt' {cat.Status} printed '{cat.Result?.Stdout}' and the run does not say its workspace was lost (reason: {run.Reason}); journal: {journal}\n{cluster.RecentStderr}");
            }
        }

        output.WriteLine($"gated runs whose workspace came back after the approval: {restored}; interrupted calls (started on a host that was killed, reported, not run again): {await CountInterruptedAsync(store, runs)}");
        Assert.True(restored > 0, "no gated run found its workspace after its approval");
    }

    private static async Task RestartAsync(HostCluster cluster, int slot, TimeSpan after)
    {
        await Task.Delay(after);
        await cluster.StartAsync(slot);
    }

    private static async Task<int> CountInterruptedAsync(IRunStore store, IEnumerable<RunRecord> runs)
    {
        var count = 0;
        foreach (var run in runs)
        {
            count += (await store.GetStepsAsync(run.Id)).Count(s => s.Status == StepStatus.Interrupted);
        }

        return count;
    }

    [GeneratedRegex(@"\d+$")]
    private static partial Regex TaskNumber();
}
