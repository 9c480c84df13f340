using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Agent.Runtime;
using Agent.Runtime.Storage;
using Agent.TestSupport;

namespace Agent.Host.Tests;

/// <summary>
/// Several real host processes (<c>dotnet Agent.Host.Tests.dll host SETTINGS</c>, see <see cref="Program"/>) on one
/// PostgreSQL database of the test's throwaway cluster and one Docker daemon, with one shared workspaces folder. A host
/// is killed with SIGKILL (<see cref="Kill"/>) and started again (<see cref="StartAsync"/>); <see cref="TakeoverWatch"/>
/// measures how long its runs wait for another host.
/// </summary>
internal sealed class HostCluster : IAsyncDisposable
{
    private readonly Process?[] _hosts;
    private readonly string?[] _urls;
    private readonly ConcurrentQueue<string> _stderr = new();

    private HostCluster(TestSettings settings, StorageOptions storage, int count)
    {
        Settings = settings;
        Storage = storage;
        Store = RuntimeServiceCollectionExtensions.CreateStore(storage);
        _hosts = new Process?[count];
        _urls = new string?[count];
    }

    public TestSettings Settings { get; }

    public StorageOptions Storage { get; }

    /// <summary>The test's own view of the shared store.</summary>
    public IRunStore Store { get; }

    public int Count => _hosts.Length;

    /// <summary>The last lines the hosts wrote to stderr (warnings and errors), for a failure's message.</summary>
    public string RecentStderr => string.Join('\n', _stderr.TakeLast(40));

    /// <summary>Slots whose host runs and listens (a host still starting is not live yet).</summary>
    public IEnumerable<int> Live => Enumerable.Range(0, Count).Where(i => _urls[i] is not null && _hosts[i] is { HasExited: false });

    /// <summary>Writes the settings of <paramref name="count"/> hosts on a new database and initializes it (hosts not started).</summary>
    public static async Task<HostCluster> CreateAsync(int count, int concurrentRuns = 2)
    {
        var connection = await PostgresServer.NewDatabaseAsync("hosts");
        var settings = TestSettings.Create(edit: json =>
        {
            var storage = json[StorageOptions.Section]!.AsObject();
            storage["Provider"] = "PostgreSql";
            storage["ConnectionString"] = connection;
            storage["WorkspacesPath"] = "shared-workspaces";
            storage["LeaseSeconds"] = 5;
            json["Agent"]!["MaxSteps"] = 8;
            json["Agent"]!["MaxTokensPerStep"] = 64;
            json["Agent"]!["ConcurrentRuns"] = concurrentRuns;
            json["Policy"] = JsonNode.Parse(ChaosScripts.PolicyJson);
        });
        var options = new StorageOptions
        {
            Provider = StorageProvider.PostgreSql,
            ConnectionString = connection,
            WorkspacesPath = Path.Combine(settings.Folder, "shared-workspaces"),
            LeaseSeconds = 5,
        };
        var cluster = new HostCluster(settings, options, count);
        await cluster.Store.InitializeAsync();
        return cluster;
    }

    /// <summary>Starts every host and waits until each listens.</summary>
    public Task StartAllAsync() => Task.WhenAll(Enumerable.Range(0, Count).Select(StartAsync));

    /// <summary>Starts the host of <paramref name="slot"/> and waits until it listens.</summary>
    public async Task StartAsync(int slot)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Settings.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        start.ArgumentList.Add("host");
        start.ArgumentList.Add(Settings.SettingsFile);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("AGENT_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("listening ", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult(e.Data["listening ".Length..]);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                _stderr.Enqueue($"[host {slot} pid {process.Id}] {line}");
                while (_stderr.Count > 400 && _stderr.TryDequeue(out string? _))
                {
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _hosts[slot] = process;
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(120)));
        if (first != listening.Task)
        {
            process.Kill();
            throw new InvalidOperationException($"host {slot} did not start listening (exited: {process.HasExited}):\n{RecentStderr}");
        }

        _urls[slot] = await listening.Task;
    }

    /// <summary>The pid of a slot's host, or null.</summary>
    public int? Pid(int slot) => _hosts[slot] is { HasExited: false } p ? p.Id : null;

    /// <summary>Kills a slot's host with SIGKILL and waits until it is gone.</summary>
    public void Kill(int slot)
    {
        var process = _hosts[slot] ?? throw new InvalidOperationException($"host {slot} is not running");
        if (!process.HasExited)
        {
            process.Kill(); // SIGKILL on Linux: no shutdown code runs.
        }

        process.WaitForExit();
        process.Dispose();
        _hosts[slot] = null;
        _urls[slot] = null;
    }

    /// <summary>Approves an escalation through the HTTP API of a slot's host; false when the host refused or was gone.</summary>
    public async Task<bool> ApproveAsync(int slot, long entryId)
    {
        if (_urls[slot] is not { } url)
        {
            return false;
        }

        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestSettings.Token);
        try
        {
            using var response = await client.PostAsJsonAsync($"/approvals/{entryId.ToString(CultureInfo.InvariantCulture)}/approve", new { reviewer = $"reviewer-at-host-{slot}", reason = "chaos" });
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false; // killed between the pick and the request
        }
    }

    /// <summary>Stops every host with SIGTERM (a graceful shutdown that saves waiting runs' workspaces), killing those that outlast a minute.</summary>
    public async Task StopAllAsync()
    {
        foreach (var slot in Enumerable.Range(0, Count))
        {
            if (_hosts[slot] is { HasExited: false } process)
            {
                using var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!;
                await term.WaitForExitAsync();
            }
        }

        foreach (var slot in Enumerable.Range(0, Count))
        {
            if (_hosts[slot] is { } process)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                }

                process.Dispose();
                _hosts[slot] = null;
                _urls[slot] = null;
            }
        }
    }

    /// <summary>The pid in a worker's owner name (<c>serve-MACHINE-PID-NONCE</c>), or null.</summary>
    public static int? PidOf(string? owner)
    {
        var parts = owner?.Split('-');
        return parts is { Length: >= 4 } && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    /// <summary>Removes the sandboxes the test's runs left (those of killed hosts that no restart settled).</summary>
    public async Task RemoveSandboxesAsync()
    {
        foreach (var run in await Store.ListRunsAsync(1000))
        {
            using var ps = Process.Start(new ProcessStartInfo("docker", ["ps", "-aq", "--filter", $"label=agent.sandbox.run={run.Id}"]) { RedirectStandardOutput = true })!;
            var ids = (await ps.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            await ps.WaitForExitAsync();
            if (ids.Length > 0)
            {
                using var rm = Process.Start(new ProcessStartInfo("docker", ["rm", "-f", "-v", .. ids]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                await rm.WaitForExitAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var slot in Enumerable.Range(0, Count).Where(i => _hosts[i] is not null))
        {
            Kill(slot);
        }

        await RemoveSandboxesAsync();
        if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    /// <summary>
    /// Measures takeovers: given the runs a killed host held (<see cref="KilledAsync"/>), <see cref="PollAsync"/> records, for
    /// each, the time until another host held it (or it ended).
    /// </summary>
    public sealed class TakeoverWatch(IRunStore store)
    {
        private readonly Dictionary<string, (int Pid, long KilledAt)> _waiting = new(StringComparer.Ordinal);

        public List<TimeSpan> Takeovers { get; } = [];

        /// <summary>Notes the runs <paramref name="pid"/> holds now, as it is killed.</summary>
        public async Task KilledAsync(int pid, long killedAt)
        {
            foreach (var run in await store.ListRunsAsync(1000))
            {
                if (run.Status == RunStatus.Running && PidOf(run.LeaseOwner) == pid)
                {
                    _waiting[run.Id] = (pid, killedAt);
                }
            }
        }

        /// <summary>Checks the waiting runs; returns the runs the store holds.</summary>
        public async Task<IReadOnlyList<RunRecord>> PollAsync()
        {
            var runs = await store.ListRunsAsync(1000);
            var now = Stopwatch.GetTimestamp();
            foreach (var run in runs)
            {
                if (!_waiting.TryGetValue(run.Id, out var killed))
                {
                    continue;
                }

                if (run.Status == RunStatus.Running && PidOf(run.LeaseOwner) != killed.Pid)
                {
                    Takeovers.Add(Stopwatch.GetElapsedTime(killed.KilledAt, now));
                    _waiting.Remove(run.Id);
                }
                else if (run.IsTerminal || run.Status == RunStatus.Parked)
                {
                    _waiting.Remove(run.Id);
                }
            }

            return runs;
        }
    }
}
