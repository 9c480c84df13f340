using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Sandbox.Tests.Internal;

/// <summary>
/// Hostile commands against a real daemon. Each must be contained by the sandbox, be reported as what it is,
/// and leave the host fine. No test sends traffic to any address outside this machine.
/// </summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class SandboxAbuseTests(DockerFixture docker)
{
    /// <summary>Proves the pids limit stops a fork bomb, the exec timeout ends it, the run gets a working sandbox afterwards and the host can still start processes.</summary>
    [Fact]
    public async Task ExecAsync_ForkBomb_ContainedByPidsLimitAndTimeout()
    {
        var runId = "abuse-forkbomb-" + Guid.NewGuid().ToString("N")[..8];
        var sandbox = await docker.Service.GetOrCreateAsync(runId, docker.Token);
        try
        {
            var limit = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/sys/fs/cgroup/pids/pids.max"), docker.Token);
            Assert.Equal(DockerFixture.PidsLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), limit.StandardOutput.Trim());

            var bomb = new SandboxExecRequest("sh", "-c", "bomb() { bomb | bomb & }; (bomb); exec sleep 30") { Timeout = TimeSpan.FromSeconds(3) };
            var error = await Record.ExceptionAsync(async () =>
            {
                var finished = await sandbox.ExecAsync(bomb, docker.Token);
                Assert.Fail($"the bomb ended by itself: {finished}; stderr: {finished.StandardError[..Math.Min(300, finished.StandardError.Length)]}");
            });
            Assert.True(error is SandboxExecTimeoutException or SandboxContainerDiedException, error?.ToString());

            using (var host = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "echo host-alive"]) { RedirectStandardOutput = true })!)
            {
                Assert.Equal("host-alive", (await host.StandardOutput.ReadToEndAsync(docker.Token)).Trim());
            }

            await using var after = await docker.Service.GetOrCreateAsync(runId, docker.Token);
            var ok = await after.ExecAsync(new SandboxExecRequest("echo", "recovered"), docker.Token);
            Assert.Equal("recovered\n", ok.StandardOutput);
        }
        finally
        {
            await docker.Service.ReleaseAsync(runId, CancellationToken.None);
        }
    }

    /// <summary>Proves a process that eats memory is OOM-killed at the memory limit and reported as OOM, not as a generic failure, with what it wrote before the kill, and the sandbox keeps working.</summary>
    [Fact]
    public async Task ExecAsync_MemoryBomb_ReportedAsOutOfMemory()
    {
        await using var sandbox = await docker.NewSandboxAsync("oom");
        var bomb = new SandboxExecRequest("sh", "-c", "echo before-the-kill; echo warned >&2; a=xxxxxxxxxxxxxxxx; while :; do a=\"$a$a\"; done") { Timeout = TimeSpan.FromSeconds(15) };
        var error = await Assert.ThrowsAsync<SandboxOutOfMemoryException>(() => sandbox.ExecAsync(bomb, docker.Token));
        Assert.Equal(137, error.PartialOutput.ExitCode);
        Assert.Equal("before-the-kill\n", error.PartialOutput.StandardOutput);
        Assert.Equal("warned\n", error.PartialOutput.StandardError);
        Assert.Contains("OOM-killed", error.Message, StringComparison.Ordinal);
        var ok = await sandbox.ExecAsync(new SandboxExecRequest("echo", "alive"), docker.Token);
        Assert.Equal("alive\n", ok.StandardOutput);
    }

    /// <summary>Proves filling the workspace stops at its size cap with ENOSPC (the host disk is never touched) and the workspace stays usable.</summary>
    [Fact]
    public async Task ExecAsync_FillWorkspaceDisk_StopsAtWorkspaceCap()
    {
        await using var sandbox = await docker.NewSandboxAsync("disk");
        var fill = await sandbox.ExecAsync(new SandboxExecRequest("dd", "if=/dev/zero", "of=fill", "bs=1M", "count=1000"), docker.Token);
        Assert.NotEqual(0, fill.ExitCode);
        Assert.Contains("No space left on device", fill.StandardError, StringComparison.Ordinal);
        var size = await sandbox.ExecAsync(new SandboxExecRequest("stat", "-c", "%s", "fill"), docker.Token);
        Assert.True(long.Parse(size.StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture) <= DockerFixture.WorkspaceSizeMiB * 1024L * 1024L);
        var tmp = await sandbox.ExecAsync(new SandboxExecRequest("dd", "if=/dev/zero", "of=/tmp/fill", "bs=1M", "count=1000"), docker.Token);
        Assert.Contains("No space left on device", tmp.StandardError, StringComparison.Ordinal);
        await sandbox.ExecAsync(new SandboxExecRequest("rm", "fill"), docker.Token);
        await sandbox.PutFileAsync("after.txt", "ok"u8.ToArray(), docker.Token);
    }

    /// <summary>Proves the sandbox has no network but loopback, and cannot reach a listener this test opens on the host (its own non-loopback address and 127.0.0.1).</summary>
    [Fact]
    public async Task ExecAsync_Network_OnlyLoopbackAndHostListenerUnreachable()
    {
        await using var sandbox = await docker.NewSandboxAsync("net");
        var interfaces = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/proc/net/dev"), docker.Token);
        var names = interfaces.StandardOutput.Split('\n').Skip(2).Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l.Split(':')[0].Trim()).ToList();
        Assert.Equal(["lo"], names);

        var hostAddress = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? IPAddress.Loopback;
        foreach (var address in new[] { hostAddress, IPAddress.Loopback }.Distinct())
        {
            using var listener = new TcpListener(address, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var accept = listener.AcceptTcpClientAsync(docker.Token).AsTask();
            var connect = await sandbox.ExecAsync(
                new SandboxExecRequest("sh", "-c", "echo hello | nc -w 2 \"$0\" \"$1\"", address.ToString(), port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                docker.Token);
            Assert.NotEqual(0, connect.ExitCode);
            await Task.Delay(200, docker.Token);
            Assert.False(accept.IsCompleted, $"the sandbox reached the host listener on {address}:{port}");
            listener.Stop();
        }
    }

    /// <summary>Proves the root filesystem and /proc/sys are read-only for the sandbox user.</summary>
    [Fact]
    public async Task ExecAsync_WriteRootFilesystemAndProcSys_Refused()
    {
        await using var sandbox = await docker.NewSandboxAsync("rootfs");
        foreach (var target in new[] { "/etc/passwd", "/bin/busybox", "/newfile", "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches" })
        {
            var write = await sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", "echo pwned > \"$0\"", target), docker.Token);
            Assert.NotEqual(0, write.ExitCode);
        }

        var passwd = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/etc/passwd"), docker.Token);
        Assert.DoesNotContain("pwned", passwd.StandardOutput, StringComparison.Ordinal);
        var remount = await sandbox.ExecAsync(new SandboxExecRequest("mount", "-o", "remount,rw", "/"), docker.Token);
        Assert.NotEqual(0, remount.ExitCode);
    }

    /// <summary>Proves host files are invisible: a secret the test writes on the host cannot be read, and the host's /etc/shadow is not there.</summary>
    [Fact]
    public async Task ExecAsync_ReadHostFiles_NotVisible()
    {
        var secret = Path.Combine("/tmp", "agent-host-secret-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(secret, "host secret", docker.Token);
        try
        {
            await using var sandbox = await docker.NewSandboxAsync("hostfiles");
            var read = await sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", "cat \"$0\"; cat /etc/shadow; ls /proc/1/root/tmp 2>&1; cat /proc/1/root/\"$0\"", secret), docker.Token);
            Assert.DoesNotContain("host secret", read.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(Path.GetFileName(secret), read.StandardOutput, StringComparison.Ordinal);
            Assert.NotEqual(0, read.ExitCode);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    /// <summary>Proves the timeout kills the whole process tree even when it ignores SIGTERM: TERM, grace, KILL, and nothing is left running.</summary>
    [Fact]
    public async Task ExecAsync_IgnoresSigtermPastTimeout_ProcessTreeKilled()
    {
        await using var sandbox = await docker.NewSandboxAsync("sigterm");
        var stubborn = new SandboxExecRequest("sh", "-c", "trap '' TERM; (trap '' TERM; while :; do sleep 1; done) & echo started; while :; do sleep 1; done", "stubborn-tree")
        {
            Timeout = TimeSpan.FromSeconds(1),
        };
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<SandboxExecTimeoutException>(() => sandbox.ExecAsync(stubborn, docker.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal("started\n", error.PartialOutput.StandardOutput);
        var ps = await sandbox.ExecAsync(new SandboxExecRequest("ps", "-o", "pid,args"), docker.Token);
        Assert.DoesNotContain("stubborn-tree", ps.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("sleep 1", ps.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// Proves the timeout also ends processes that cleared their environment (env -i) and ignore SIGTERM, and that the
    /// sandbox keeps working afterwards (its keep-alive process is spared).
    /// </summary>
    [Fact]
    public async Task ExecAsync_ProcessWithClearedEnvironmentPastTimeout_Killed()
    {
        await using var sandbox = await docker.NewSandboxAsync("envclear");
        var spinner = new SandboxExecRequest("sh", "-c", "env -i sh -c 'trap \"\" TERM; while :; do :; done # env-cleared-spinner' & echo started; wait")
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
        var error = await Assert.ThrowsAsync<SandboxExecTimeoutException>(() => sandbox.ExecAsync(spinner, docker.Token));
        Assert.Equal("started\n", error.PartialOutput.StandardOutput);

        var ps = await sandbox.ExecAsync(new SandboxExecRequest("ps", "-o", "pid,args"), docker.Token);
        Assert.DoesNotContain("env-cleared-spinner", ps.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("alive\n", (await sandbox.ExecAsync(new SandboxExecRequest("echo", "alive"), docker.Token)).StandardOutput);
    }

    /// <summary>Proves 100 MB of stdout is drained without exhausting memory, capped at MaxOutputBytes, and the truncation is reported with the real byte count.</summary>
    [Fact]
    public async Task ExecAsync_HundredMegabytesOfStdout_CappedAndReportedTruncated()
    {
        await using var sandbox = await docker.NewSandboxAsync("stdout");
        const long hundredMegabytes = 100L * 1024 * 1024;
        var result = await sandbox.ExecAsync(new SandboxExecRequest("head", "-c", hundredMegabytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "/dev/zero") { Timeout = TimeSpan.FromSeconds(60) }, docker.Token);
        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Truncated);
        Assert.Equal(hundredMegabytes, result.StandardOutputCapture.TotalBytes);
        Assert.Equal(DockerFixture.MaxOutputBytes, result.StandardOutputCapture.Bytes.Length);
        var error = Assert.Throws<SandboxOutputTruncatedException>(() => result.ThrowIfTruncated());
        Assert.Equal(hundredMegabytes, error.TotalBytes);
    }

    /// <summary>Proves file operations refuse a symlink the command planted to leave the workspace, while symlinks inside the workspace still work.</summary>
    [Fact]
    public async Task FileOperations_SymlinkEscapingWorkspace_Refused()
    {
        await using var sandbox = await docker.NewSandboxAsync("symlink");
        var plant = await sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", "ln -s /etc etc-link && ln -s / root-link && ln -s /etc/passwd passwd-link && mkdir data && echo inside > data/f && ln -s data inner-link"), docker.Token);
        Assert.Equal(0, plant.ExitCode);

        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("etc-link/passwd", docker.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("passwd-link", docker.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.PutFileAsync("root-link/tmp/x", "x"u8.ToArray(), docker.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.ListFilesAsync("etc-link", docker.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("../etc/passwd", docker.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("/etc/passwd", docker.Token));
        Assert.Equal("inside\n", Encoding.UTF8.GetString(await sandbox.GetFileAsync("inner-link/f", docker.Token)));
        var listing = await sandbox.ListFilesAsync(cancellationToken: docker.Token);
        Assert.Contains(listing, e => e is { Path: "etc-link", Kind: SandboxFileKind.SymbolicLink, LinkTarget: "/etc" });
    }

    /// <summary>
    /// Proves a file read cannot be raced out of the workspace: while a process in the sandbox swaps a folder's link
    /// between a folder inside the workspace and /etc as fast as it can, no read ever returns /etc/passwd.
    /// </summary>
    [Fact]
    public async Task GetFileAsync_FolderSwappedToEtcDuringRead_NeverReturnsOutsideFile()
    {
        await using var sandbox = await docker.NewSandboxAsync("swap-etc");
        var leaked = await RaceReadsAsync(sandbox, "/etc", "passwd");
        Assert.True(leaked.Count == 0, $"read /etc/passwd through the swapped link {leaked.Count} times: {leaked.FirstOrDefault()}");
    }

    /// <summary>
    /// Proves a file the sandbox user may not read stays unread by file operations too: a root-only (0600) file of a
    /// read-only host mount is never returned, even through a link swapped in during the read.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task GetFileAsync_RootOnlyFileOfReadOnlyMountSwappedInDuringRead_NeverReturned()
    {
        var folder = Directory.CreateTempSubdirectory("agent-ro-mount-");
        try
        {
            var secret = Path.Combine(folder.FullName, "passwd");
            await File.WriteAllTextAsync(secret, "root-only host secret\n", docker.Token);
            File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(folder.FullName, (UnixFileMode)0b111_101_101);
            var settings = new Dictionary<string, string?>(DockerFixture.Settings())
            {
                ["Sandbox:WarmPoolSize"] = "0",
                ["Sandbox:RemoveOrphansOnStart"] = "false",
                ["Sandbox:ReadOnlyMounts:0:HostPath"] = folder.FullName,
                ["Sandbox:ReadOnlyMounts:0:ContainerPath"] = "/data",
            };
            await using var provider = DockerFixture.BuildProvider(settings);
            var service = provider.GetRequiredService<ISandboxService>();
            await using var sandbox = await service.GetOrCreateAsync("abuse-ro-" + Guid.NewGuid().ToString("N")[..8], docker.Token);
            var direct = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/data/passwd"), docker.Token);
            Assert.NotEqual(0, direct.ExitCode);

            var leaked = await RaceReadsAsync(sandbox, "/data", "passwd");

            Assert.True(leaked.Count == 0, $"read the root-only file {leaked.Count} times: {leaked.FirstOrDefault()}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Swaps the link <c>d</c> between <c>real</c> (inside, holding <paramref name="file"/> = "inside") and
    /// <paramref name="outside"/> in a loop in the sandbox while reading <c>d/FILE</c> many times; returns what any read
    /// returned that was not "inside".
    /// </summary>
    private async Task<List<string>> RaceReadsAsync(ISandbox sandbox, string outside, string file)
    {
        var setup = await sandbox.ExecAsync(
            new SandboxExecRequest("sh", "-c", "mkdir real && echo inside > \"real/$1\" && ln -s real d && (while :; do ln -sfn \"$0\" d; ln -sfn real d; done) >/dev/null 2>&1 &", outside, file),
            docker.Token);
        Assert.Equal(0, setup.ExitCode);
        var leaked = new List<string>();
        var inside = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 120 && watch.Elapsed < TimeSpan.FromSeconds(15); i++)
        {
            try
            {
                var text = Encoding.UTF8.GetString(await sandbox.GetFileAsync("d/" + file, docker.Token));
                if (text == "inside\n")
                {
                    inside++;
                }
                else
                {
                    leaked.Add(text);
                }
            }
            catch (SandboxPathException)
            {
                // Refused: the link pointed outside when it was opened (or was being replaced).
            }
        }

        Assert.True(inside > 0, "no read succeeded at all: the race test did not exercise reads");
        return leaked;
    }

    /// <summary>Proves many execs in one sandbox at once each get their own output and exit code.</summary>
    [Fact]
    public async Task ExecAsync_ManyParallelExecs_EachGetsItsOwnResult()
    {
        await using var sandbox = await docker.NewSandboxAsync("parallel");
        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", "echo \"$0\"; exit $(($0 % 7))", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), docker.Token)));
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal($"{i}\n", results[i].StandardOutput);
            Assert.Equal(i % 7, results[i].ExitCode);
        }
    }
}
