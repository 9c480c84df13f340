using System.Runtime.InteropServices;

namespace Agent.Sandbox.Native;

/// <summary>The libc calls the sandbox layer needs: the group that owns a host file (.NET exposes a file's mode, not its owner), and a signal to a process (.NET kills a process or its tree with SIGKILL only).</summary>
internal static partial class LibC
{
    private const int AtFdCwd = -100;
    private const uint StatxGid = 0x10;

    // struct statx of include/uapi/linux/stat.h is built from fixed-width fields only, so its layout is the same on
    // every architecture: __u32 stx_mask, __u32 stx_blksize, __u64 stx_attributes, __u32 stx_nlink, __u32 stx_uid,
    // __u32 stx_gid (byte 24), ...; 256 bytes in all.
    private const int StatxSize = 256;
    private const int StatxGidOffset = 24;

    /// <summary>The gid owning <paramref name="path"/> (links followed), or null when it does not exist or cannot be read.</summary>
    public static uint? GroupOf(string path)
    {
        var buffer = new byte[StatxSize];
        if (statx(AtFdCwd, path, 0, StatxGid, buffer) != 0)
        {
            return null;
        }

        // Native byte order: MemoryMarshal reads the fields as the kernel wrote them.
        if ((MemoryMarshal.Read<uint>(buffer) & StatxGid) == 0)
        {
            return null;
        }

        return MemoryMarshal.Read<uint>(buffer.AsSpan(StatxGidOffset));
    }

    /// <summary>SIGTERM: asks a process to end; shell traps run.</summary>
    public const int SigTerm = 15;

    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    /// <summary>Sends <paramref name="signal"/> to the process <paramref name="pid"/>; false when it is gone.</summary>
    public static bool Signal(int pid, int signal) => pid > 1 && kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string pathname, int flags, uint mask, [Out] byte[] statxbuf);
}
