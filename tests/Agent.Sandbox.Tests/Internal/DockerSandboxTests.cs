using System.Formats.Tar;
using System.Text;

namespace Agent.Sandbox.Tests.Internal;

/// <summary>Exec and file operations a tool relies on, against a real daemon.</summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class DockerSandboxTests(DockerFixture docker)
{
    [Fact]
    public async Task ExecAsync_CommandWithArguments_ReturnsOutputExitCodeAndWallTime()
    {
        await using var sandbox = await docker.NewSandboxAsync("exec");
        var result = await sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", "echo \"$0 $1\"; echo oops >&2; exit 3", "a b", "$HOME;"), docker.Token);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("a b $HOME;\n", result.StandardOutput);
        Assert.Equal("oops\n", result.StandardError);
        Assert.False(result.Truncated);
        Assert.True(result.WallTime > TimeSpan.Zero);
    }

    [Fact]
    public async Task ExecAsync_StdinEnvironmentAndWorkingDirectory_ReachTheCommand()
    {
        await using var sandbox = await docker.NewSandboxAsync("stdin");
        await sandbox.ExecAsync(new SandboxExecRequest("mkdir", "-p", "sub/dir"), docker.Token);
        var result = await sandbox.ExecAsync(
            new SandboxExecRequest("sh", "-c", "pwd; echo \"$GREETING\"; cat")
            {
                StandardInput = Encoding.UTF8.GetBytes("from stdin"),
                Environment = new Dictionary<string, string> { ["GREETING"] = "hello" },
                WorkingDirectory = "sub/dir",
            },
            docker.Token);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("/workspace/sub/dir\nhello\nfrom stdin", result.StandardOutput);
    }

    [Fact]
    public async Task ExecAsync_WorkingDirectoryOutsideWorkspace_Refused()
    {
        await using var sandbox = await docker.NewSandboxAsync("workdir");
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.ExecAsync(new SandboxExecRequest("pwd") { WorkingDirectory = "../etc" }, docker.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.ExecAsync(new SandboxExecRequest("pwd") { WorkingDirectory = "/etc" }, docker.Token));
    }

    /// <summary>Proves the isolation defaults hold inside the container: uid 1000, no capabilities, no-new-privileges, seccomp filtering, read-only root.</summary>
    [Fact]
    public async Task ExecAsync_ProcessStatus_ShowsUnprivilegedConfinedProcess()
    {
        await using var sandbox = await docker.NewSandboxAsync("status");
        var result = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/proc/self/status"), docker.Token);
        var status = result.StandardOutput.Split('\n').Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        Assert.StartsWith("1000\t", status["Uid"], StringComparison.Ordinal);
        Assert.Equal("0000000000000000", status["CapEff"]);
        Assert.Equal("0000000000000000", status["CapBnd"]);
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.Equal("2", status["Seccomp"]);
        var mounts = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/proc/mounts"), docker.Token);
        Assert.Matches(@"(?m)^\S+ / \S+ ro[, ]", mounts.StandardOutput);
        Assert.Matches(@"(?m)^tmpfs /workspace tmpfs rw", mounts.StandardOutput);
    }

    [Fact]
    public async Task PutFileAsync_ThenGetAndList_RoundTripsInsideWorkspace()
    {
        await using var sandbox = await docker.NewSandboxAsync("files");
        var content = Encoding.UTF8.GetBytes("print('hi')\n");
        await sandbox.PutFileAsync("src/app/main.py", content, docker.Token);
        Assert.Equal(content, await sandbox.GetFileAsync("./src//app/main.py", docker.Token));
        var owner = await sandbox.ExecAsync(new SandboxExecRequest("stat", "-c", "%u %s", "src/app/main.py"), docker.Token);
        Assert.Equal($"1000 {content.Length}\n", owner.StandardOutput);
        var listing = await sandbox.ListFilesAsync(cancellationToken: docker.Token);
        Assert.Contains(listing, e => e is { Path: "src/app/main.py", Kind: SandboxFileKind.File } && e.Size == content.Length);
        Assert.Contains(listing, e => e is { Path: "src/app", Kind: SandboxFileKind.Directory });
        var sub = await sandbox.ListFilesAsync("src/app", docker.Token);
        Assert.Equal(["src/app/main.py"], sub.Select(e => e.Path));
    }

    [Fact]
    public async Task GetFileAsync_MissingOrDirectory_RefusedWithPathException()
    {
        await using var sandbox = await docker.NewSandboxAsync("missing");
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("nope.txt", docker.Token));
        await sandbox.PutFileAsync("d/f", "x"u8.ToArray(), docker.Token);
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("d", docker.Token));
    }

    /// <summary>Proves a workspace moves whole from one sandbox to a new one through the archive API: nested files, modes, symbolic and hard links, ownership.</summary>
    [Fact]
    public async Task ExportWorkspaceAsync_ImportedIntoNewSandbox_RestoresFilesLinksAndModes()
    {
        using var archive = new MemoryStream();
        await using (var source = await docker.NewSandboxAsync("export"))
        {
            var setup = await source.ExecAsync(
                new SandboxExecRequest("sh", "-c", "mkdir -p notes/deep && echo kept > notes/deep/a.txt && printf 'x' > run.sh && chmod 755 run.sh && ln -s notes/deep/a.txt link && ln run.sh hard && mkfifo pipe"),
                docker.Token);
            Assert.Equal(0, setup.ExitCode);
            await source.ExportWorkspaceAsync(archive, docker.Token);
        }

        archive.Position = 0;
        await using var target = await docker.NewSandboxAsync("import");
        await target.ImportWorkspaceAsync(archive, docker.Token);

        var check = await target.ExecAsync(new SandboxExecRequest("sh", "-c", "cat notes/deep/a.txt; cat link; stat -c '%a %u %h' run.sh; readlink link; [ -e pipe ] || echo no-pipe"), docker.Token);
        Assert.Equal("kept\nkept\n755 1000 2\nnotes/deep/a.txt\nno-pipe\n", check.StandardOutput);
    }

    /// <summary>Proves a damaged archive is refused with a typed exception before anything reaches the workspace.</summary>
    [Fact]
    public async Task ImportWorkspaceAsync_CorruptArchive_ThrowsArchiveExceptionAndLeavesWorkspaceEmpty()
    {
        await using var sandbox = await docker.NewSandboxAsync("corrupt");
        var damaged = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("this is not a tar archive; ", 100)));

        var error = await Assert.ThrowsAsync<SandboxArchiveException>(() => sandbox.ImportWorkspaceAsync(new MemoryStream(damaged), docker.Token));

        Assert.Contains("not a readable tar archive", error.Message, StringComparison.Ordinal);
        Assert.Empty(await sandbox.ListFilesAsync(cancellationToken: docker.Token));
    }

    /// <summary>Proves an archive cannot write outside the workspace, neither by name nor through a symbolic link it carries.</summary>
    [Theory]
    [InlineData("../escape.txt", null)]
    [InlineData("/etc/escape.txt", null)]
    [InlineData("out/escape.txt", "out")]
    public async Task ImportWorkspaceAsync_EntryOutsideWorkspace_Refused(string name, string? symlink)
    {
        await using var sandbox = await docker.NewSandboxAsync("escape");
        using var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            if (symlink is not null)
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, symlink) { LinkName = "/tmp" }, docker.Token);
            }

            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) }, docker.Token);
        }

        archive.Position = 0;
        var error = await Assert.ThrowsAsync<SandboxArchiveException>(() => sandbox.ImportWorkspaceAsync(archive, docker.Token));

        Assert.Contains(name.TrimStart('/'), error.Message, StringComparison.Ordinal);
        var tmp = await sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", "ls /tmp /workspace"), docker.Token);
        Assert.DoesNotContain("escape", tmp.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>Proves the workspace size cap holds for restores: an archive larger than Sandbox:WorkspaceSizeMiB is refused with the key to raise.</summary>
    [Fact]
    public async Task ImportWorkspaceAsync_LargerThanWorkspace_RefusedNamingTheLimit()
    {
        await using var sandbox = await docker.NewSandboxAsync("toolarge");
        using var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "big.bin") { DataStream = new MemoryStream(new byte[(DockerFixture.WorkspaceSizeMiB * 1024 * 1024) + 1]) }, docker.Token);
        }

        archive.Position = 0;
        var error = await Assert.ThrowsAsync<SandboxArchiveException>(() => sandbox.ImportWorkspaceAsync(archive, docker.Token));

        Assert.Contains("Sandbox:WorkspaceSizeMiB", error.Message, StringComparison.Ordinal);
        Assert.Empty(await sandbox.ListFilesAsync(cancellationToken: docker.Token));
    }
}
