using System.Diagnostics;
using System.Globalization;

namespace Agent.Sandbox.Internal;

/// <summary>The labels every sandbox container and workspace volume carries, and who owns it.</summary>
internal static class SandboxLabels
{
    /// <summary>Marks everything this library creates; <c>agent sandbox clean</c> removes all of it.</summary>
    public const string Marker = "agent.sandbox";
    public const string Run = "agent.sandbox.run";
    public const string Owner = "agent.sandbox.owner";
    public const string Image = "agent.sandbox.image";
    public const string ContextHash = "agent.sandbox.context-hash";

    /// <summary>Owner value of detached sandboxes (<c>run --keep</c>): never treated as orphans.</summary>
    public const string DetachedOwner = "detached";

    /// <summary>Run value of warm-pool containers not yet handed to a run.</summary>
    public const string PoolRun = "pool";

    /// <summary>This process: host, pid and start time, so that a recycled pid is not mistaken for its owner.</summary>
    public static string CurrentProcess { get; } = ProcessOf(Environment.MachineName, Environment.ProcessId, CurrentStartTicks());

    /// <summary>A new owner value for one service instance of this process: <c>host/pid/start/instance</c>.</summary>
    public static string NewOwner() => CurrentProcess + "/" + Guid.NewGuid().ToString("N")[..12];

    public static IDictionary<string, IDictionary<string, bool>> MarkerFilter(string? owner = null, string? runId = null)
    {
        var labels = new Dictionary<string, bool> { [$"{Marker}=true"] = true };
        if (owner is not null)
        {
            labels[$"{Owner}={owner}"] = true;
        }

        if (runId is not null)
        {
            labels[$"{Run}={runId}"] = true;
        }

        return new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels };
    }

    public static Dictionary<string, string> For(string owner, string runId) => new()
    {
        [Marker] = "true",
        [Owner] = owner,
        [Run] = runId,
    };

    /// <summary>True when the owner is a process of this host that has exited (detached and foreign hosts are never orphans).</summary>
    public static bool IsOrphan(string? owner)
    {
        if (owner is null || owner == DetachedOwner)
        {
            return false;
        }

        var parts = owner.Split('/');
        if (parts.Length is not (3 or 4) || parts[0] != Environment.MachineName
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var startTicks))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks != startTicks;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>
    /// True when a run's container with this owner may be adopted by another service instance: its process is gone
    /// (<see cref="IsOrphan"/>), or it is this very process (a service instance that was disposed without releasing
    /// the run, as a test that simulates a crash does). Detached sandboxes and live processes' containers never are.
    /// </summary>
    public static bool IsAdoptable(string? owner, string self) =>
        owner is not null && owner != self && owner != DetachedOwner
        && (owner.StartsWith(CurrentProcess + "/", StringComparison.Ordinal) || IsOrphan(owner));

    private static string ProcessOf(string host, int pid, long startTicks) =>
        string.Create(CultureInfo.InvariantCulture, $"{host}/{pid}/{startTicks}");

    private static long CurrentStartTicks()
    {
        using var self = Process.GetCurrentProcess();
        return self.StartTime.ToUniversalTime().Ticks;
    }
}
