using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Agent.Sandbox.Internal;

/// <summary>The labels every sandbox container and workspace volume carries: which installation and which process own it.</summary>
internal static class SandboxLabels
{
    /// <summary>Marks everything this library creates; <c>agent sandbox clean --all</c> removes all of it.</summary>
    public const string Marker = "agent.sandbox";
    public const string Run = "agent.sandbox.run";
    public const string Owner = "agent.sandbox.owner";

    /// <summary>The installation that created it (<see cref="CurrentInstallation"/>): orphan removal, survivors and <c>agent sandbox clean</c> only look at their own.</summary>
    public const string Installation = "agent.sandbox.installation";
    public const string Image = "agent.sandbox.image";
    public const string ContextHash = "agent.sandbox.context-hash";

    /// <summary>Owner value of detached sandboxes (<c>run --keep</c>): never treated as orphans.</summary>
    public const string DetachedOwner = "detached";

    /// <summary>Run value of warm-pool containers (labels are immutable, so a pooled container handed to a run keeps it; its name says the run, see <see cref="SandboxNames"/>).</summary>
    public const string PoolRun = "pool";

    private const string UnknownBoot = "unknown";

    /// <summary>
    /// This installation: the first 16 hex digits of SHA-256 over the host name and the folder the program runs from
    /// (<see cref="AppContext.BaseDirectory"/>). Decision: derived, not stored, so that nothing has to be written into
    /// an installation folder that may be read-only, and every process of one installation (<c>agent serve</c>,
    /// <c>agent sandbox run</c>, the tests of one test project) agrees on it without coordination. Another checkout, a
    /// copy in another folder or another host is another installation, and its sandboxes are left alone; moving an
    /// installation makes its old sandboxes foreign (<c>agent sandbox clean --all</c> removes them).
    /// </summary>
    public static string CurrentInstallation { get; } = InstallationOf(Environment.MachineName, AppContext.BaseDirectory);

    /// <summary>This process: <c>host/pid/start ticks since boot/boot id</c> (<see cref="ProcessIdentity"/>); zeros and "unknown" where /proc cannot tell.</summary>
    public static string CurrentProcess { get; } = ProcessOf(Environment.MachineName, ProcessIdentity.Current);

    /// <summary>A new owner value for one service instance of this process: <c>host/pid/start/boot/instance</c>.</summary>
    public static string NewOwner() => CurrentProcess + "/" + Guid.NewGuid().ToString("N")[..12];

    public static string InstallationOf(string host, string folder) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(host + "\n" + Path.GetFullPath(folder))))[..16];

    public static IDictionary<string, IDictionary<string, bool>> MarkerFilter(string? owner = null, string? runId = null, string? installation = null)
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

        if (installation is not null)
        {
            labels[$"{Installation}={installation}"] = true;
        }

        return new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels };
    }

    public static Dictionary<string, string> For(string owner, string runId, string? installation = null) => new()
    {
        [Marker] = "true",
        [Installation] = installation ?? CurrentInstallation,
        [Owner] = owner,
        [Run] = runId,
    };

    /// <summary>
    /// True when the owner is a process of this host that has certainly exited: another boot, no such pid, or a pid
    /// that a later process reuses. Detached sandboxes, other hosts' owners, owner values this build does not write
    /// (earlier versions') and any owner this host cannot judge are never orphans: a live process must not be misread.
    /// </summary>
    public static bool IsOrphan(string? owner)
    {
        if (owner is null || owner == DetachedOwner)
        {
            return false;
        }

        var parts = owner.Split('/');
        if (parts.Length != 5 || parts[0] != Environment.MachineName || parts[3] == UnknownBoot
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var startTicks))
        {
            return false;
        }

        return new ProcessIdentity(pid, startTicks, parts[3]).IsGone();
    }

    /// <summary>
    /// True when a run's container with this owner may be adopted by another service instance: its process is gone
    /// (<see cref="IsOrphan"/>), or it is this very process (a service instance that was disposed without releasing
    /// the run, as a test that simulates a crash does). Detached sandboxes and live processes' containers never are.
    /// </summary>
    public static bool IsAdoptable(string? owner, string self) =>
        owner is not null && owner != self && owner != DetachedOwner
        && (owner.StartsWith(CurrentProcess + "/", StringComparison.Ordinal) || IsOrphan(owner));

    private static string ProcessOf(string host, ProcessIdentity? identity) => identity is { } id
        ? string.Create(CultureInfo.InvariantCulture, $"{host}/{id.Pid}/{id.StartTicks}/{id.BootId}")
        : string.Create(CultureInfo.InvariantCulture, $"{host}/{Environment.ProcessId}/0/{UnknownBoot}");
}
