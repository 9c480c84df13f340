using System.Diagnostics;
using System.Globalization;
using Agent.Sandbox;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent sandbox bench</c>: in one run, side by side, (a) <c>docker exec</c> from the CLI into a warm container,
/// (b) this library's exec into the same warm sandbox, (c) cold: create + start + exec + remove. Prints p50/p95 and b/a.
/// </summary>
internal static class SandboxBenchmark
{
    public static async Task<int> RunAsync(ISandboxService service, int iterations, CancellationToken cancellationToken)
    {
        if (iterations < 5)
        {
            await Console.Error.WriteLineAsync("--iterations must be at least 5").ConfigureAwait(false);
            return 2;
        }

        var docker = FindOnPath("docker");
        await using var warm = await service.GetOrCreateAsync("bench-warm-" + Guid.NewGuid().ToString("N")[..8], cancellationToken).ConfigureAwait(false);
        var execTrue = new SandboxExecRequest("true");

        // Warm-up: first exec of each path pays one-time costs (JIT, connection, CLI page cache).
        for (var i = 0; i < 3; i++)
        {
            await warm.ExecAsync(execTrue, cancellationToken).ConfigureAwait(false);
            if (docker is not null)
            {
                await CliExecAsync(docker, warm.ContainerId, cancellationToken).ConfigureAwait(false);
            }
        }

        // (a) and (b) interleaved, so that both see the same machine load.
        var cli = new List<double>();
        var library = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            if (docker is not null)
            {
                cli.Add(await CliExecAsync(docker, warm.ContainerId, cancellationToken).ConfigureAwait(false));
            }

            var started = Stopwatch.GetTimestamp();
            var result = await warm.ExecAsync(execTrue, cancellationToken).ConfigureAwait(false);
            library.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"`true` exited with {result.ExitCode} in the sandbox");
            }
        }

        var cold = new List<double>();
        var coldRuns = Math.Max(5, iterations / 5);
        for (var i = 0; i < coldRuns; i++)
        {
            var runId = "bench-cold-" + Guid.NewGuid().ToString("N")[..8];
            var started = Stopwatch.GetTimestamp();
            var sandbox = await service.GetOrCreateAsync(runId, cancellationToken).ConfigureAwait(false);
            await sandbox.ExecAsync(execTrue, cancellationToken).ConfigureAwait(false);
            await service.ReleaseAsync(runId, cancellationToken).ConfigureAwait(false);
            cold.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        Console.Out.WriteLine($"sandbox exec latency of `true` ({iterations} warm execs each, {coldRuns} cold runs), milliseconds");
        Console.Out.WriteLine($"{"series",-52} {"p50",8} {"p95",8} {"mean",8}");
        if (docker is not null)
        {
            Print("(a) docker exec (CLI) into a warm container", cli);
        }
        else
        {
            Console.Out.WriteLine("(a) docker exec (CLI): skipped, no `docker` on PATH");
        }

        Print("(b) ISandbox.ExecAsync into the same warm sandbox", library);
        Print("(c) cold: create + start + exec + remove", cold);
        if (docker is not null)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"b/a: p50 {Percentile(library, 0.50) / Percentile(cli, 0.50):F2}, p95 {Percentile(library, 0.95) / Percentile(cli, 0.95):F2} (goal: <= 1)"));
        }

        return 0;
    }

    private static void Print(string name, List<double> samples) =>
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-52} {Percentile(samples, 0.50),8:F1} {Percentile(samples, 0.95),8:F1} {samples.Average(),8:F1}"));

    private static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    private static async Task<double> CliExecAsync(string docker, string containerId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(new ProcessStartInfo(docker, ["exec", "-u", "1000:1000", containerId, "true"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("docker did not start");
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker exec failed: {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
        }

        return elapsed;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
