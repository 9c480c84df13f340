using System.Diagnostics;
using System.Globalization;
using Agent.Runtime.Storage;

namespace Agent.Host.Tests;

/// <summary>
/// The many-hosts measurement (not a test): <c>dotnet tests/Agent.Host.Tests/bin/Debug/net10.0/Agent.Host.Tests.dll
/// hosts-bench HOSTS RUNS</c>. HOSTS host processes (<see cref="HostCluster"/>, 2 concurrent runs each) on one PostgreSQL
/// database of a throwaway cluster; RUNS quick scripted tasks (<see cref="ChaosScripts.QuickTask"/>: one shell call in a
/// Docker sandbox, an answer) enqueued at once after every host listens. Prints runs per minute (from the first
/// enqueue to the last run's end, database times), the queue latency per run (from enqueue to its first step's journal
/// row, so it includes the claim and the first model step, which is a scripted line scored by the tiny model: a few
/// milliseconds) at p50 and p95, and, with more than one host, the takeover time: one host is killed with SIGKILL
/// while it runs slow tasks, and the time until another host holds each of its runs is printed.
/// </summary>
internal static class HostsBench
{
    public static async Task<int> RunAsync(int hosts, int runs)
    {
        await using var cluster = await HostCluster.CreateAsync(hosts);
        await cluster.StartAllAsync();
        var store = cluster.Store;
        var ids = new List<string>();
        for (var i = 1; i <= runs; i++)
        {
            ids.Add((await store.EnqueueAsync(ChaosScripts.QuickTask(i), "tiny-test-model")).Id);
        }

        var done = await WaitAsync(store, ids, TimeSpan.FromMinutes(9));
        var first = done.Min(r => r.CreatedAt);
        var last = done.Max(r => r.UpdatedAt);
        var minutes = (last - first).TotalMinutes;
        var latencies = new List<double>();
        foreach (var run in done)
        {
            var steps = await store.GetStepsAsync(run.Id);
            if (steps.Count > 0)
            {
                latencies.Add((steps[0].CreatedAt - run.CreatedAt).TotalMilliseconds);
            }
        }

        latencies.Sort();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"hosts={hosts} runs={runs} ({string.Join(", ", done.GroupBy(r => r.Status).Select(g => $"{g.Count()} {g.Key}"))}) in {(last - first).TotalSeconds:0.0} s: {runs / minutes:0.0} runs/min; queue latency p50 {Percentile(latencies, 0.50):0} ms, p95 {Percentile(latencies, 0.95):0} ms"));

        if (hosts > 1)
        {
            var watch = new HostCluster.TakeoverWatch(store);
            var slow = new List<string>();
            for (var i = 1; i <= 2 * hosts; i++)
            {
                slow.Add((await store.EnqueueAsync(ChaosScripts.PlainTask(1000 + i), "tiny-test-model")).Id);
            }

            var victimPid = cluster.Pid(0)!.Value;
            var clock = Stopwatch.StartNew();
            while (!(await store.ListRunsAsync(1000)).Any(r => r.Status == RunStatus.Running && HostCluster.PidOf(r.LeaseOwner) == victimPid))
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new InvalidOperationException("host 0 never took a slow run");
                }

                await Task.Delay(50);
            }

            cluster.Kill(0);
            await watch.KilledAsync(victimPid, Stopwatch.GetTimestamp());
            await WaitAsync(store, slow, TimeSpan.FromMinutes(5), watch);
            var takeovers = watch.Takeovers.Order().Select(t => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)).ToList();
            Console.WriteLine($"takeover after SIGKILL of one host (Storage:LeaseSeconds = 5): {string.Join(", ", takeovers)} s for its {takeovers.Count} running runs");
        }

        await cluster.StopAllAsync();
        return 0;
    }

    private static async Task<List<RunRecord>> WaitAsync(IRunStore store, List<string> ids, TimeSpan limit, HostCluster.TakeoverWatch? watch = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var runs = watch is null ? await store.ListRunsAsync(10_000) : await watch.PollAsync();
            var mine = runs.Where(r => ids.Contains(r.Id)).ToList();
            if (mine.Count == ids.Count && mine.All(r => r.IsTerminal))
            {
                return mine;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"{mine.Count(r => !r.IsTerminal)} runs did not end in {limit}");
            }

            await Task.Delay(watch is null ? 250 : 50);
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
