using System.Globalization;

namespace Agent.Sandbox.Internal;

/// <summary>
/// Who a process of this host is, in numbers the kernel gives identically to every reader: its pid, its start time in
/// clock ticks since boot (field 22 of <c>/proc/PID/stat</c>) and the boot id (<c>/proc/sys/kernel/random/boot_id</c>).
/// </summary>
/// <remarks>
/// Why this and not <see cref="System.Diagnostics.Process.StartTime"/>: .NET turns the kernel's tick count into a wall
/// clock time through a boot time it derives from the current clock and the uptime, so two processes compute a third's
/// start time milliseconds apart, and an exact comparison read every live owner as dead (issue 17). The tick count
/// itself is one integer for everyone; the boot id tells a pid and tick count of an earlier boot (they repeat) from
/// this one. A heartbeat label is impossible (Docker labels are immutable) and a lease file would need a shared folder
/// and its own cleanup; the kernel's identity needs neither. What it cannot see: a process in another pid namespace or
/// hidden by <c>hidepid</c> on /proc looks gone, so an owner of another host name is never judged, and installations
/// are told apart by their own label (<see cref="SandboxLabels.Installation"/>) before liveness is asked at all.
/// </remarks>
internal readonly record struct ProcessIdentity(int Pid, long StartTicks, string BootId)
{
    /// <summary>The boot id of the running kernel, or null where /proc does not offer it.</summary>
    public static string? CurrentBootId { get; } = ReadBootId();

    /// <summary>This process, or null where /proc does not offer what is needed (then no owner is ever judged dead).</summary>
    public static ProcessIdentity? Current { get; } = ReadCurrent();

    /// <summary>Whether this process is certainly gone: another boot, no such pid, or the pid now belongs to a later process.</summary>
    /// <returns>False when it runs, and also when this host cannot tell (no /proc, no boot id).</returns>
    public bool IsGone()
    {
        if (CurrentBootId is null)
        {
            return false;
        }

        if (!string.Equals(BootId, CurrentBootId, StringComparison.Ordinal))
        {
            return true;
        }

        try
        {
            return StartTicksOf(Pid) is not { } ticks || ticks != StartTicks;
        }
        catch (UnauthorizedAccessException)
        {
            // It exists but this user may not read it: not gone.
            return false;
        }
    }

    /// <summary>The start time of <paramref name="pid"/> in clock ticks since boot, or null when no such process exists.</summary>
    /// <exception cref="UnauthorizedAccessException">The process exists but this user may not read its stat file.</exception>
    internal static long? StartTicksOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException)
        {
            // ESRCH: the process exited while its stat file was read.
            return null;
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted after the last ')'.
        // The field after ')' is field 3 (state); starttime is field 22.
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }

    private static ProcessIdentity? ReadCurrent()
    {
        try
        {
            return CurrentBootId is { } boot && StartTicksOf(Environment.ProcessId) is { } ticks ? new ProcessIdentity(Environment.ProcessId, ticks, boot) : null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadBootId()
    {
        try
        {
            var id = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            return id.Length > 0 && !id.Contains('/', StringComparison.Ordinal) ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
