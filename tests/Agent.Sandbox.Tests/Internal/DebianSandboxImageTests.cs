using System.Text;
using Agent.Sandbox.Internal;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Sandbox.Tests.Internal;

/// <summary>
/// The <c>debian</c> sandbox image (sandboxes/debian) against a real daemon: it builds from Debian's archive with no
/// registry, carries the tools real models write, keeps every hardening of the default image, has no network, and the
/// workspace file operations (written for busybox) work on its dash and coreutils.
/// </summary>
[Collection(DebianCollectionDefinition.Name)]
public sealed class DebianSandboxImageTests(DebianFixture debian)
{
    /// <summary>Proves the image and its root are labelled with their context hashes, and a second service finds them instead of building again.</summary>
    [Fact]
    public async Task EnsureAsync_DebianImage_LabelledWithHashesAndCached()
    {
        var images = debian.Implementation.Images;
        var context = ImageBuilder.BuildContext.Load(images.ImagesDirectory(), DebianFixture.Image);
        Assert.NotNull(context.RootfsHash);
        Assert.Contains(RootfsBuilder.Script, context.Names);
        var client = await debian.Implementation.Engine.ClientAsync(debian.Token);
        var image = await client.Images.InspectImageAsync(debian.Reference, debian.Token);
        Assert.Equal(context.Hash, image.Config!.Labels![SandboxLabels.ContextHash]);
        var root = await client.Images.InspectImageAsync($"agent-sandbox/{DebianFixture.Image}-rootfs:latest", debian.Token);
        Assert.Equal(context.RootfsHash, root.Config!.Labels![SandboxLabels.ContextHash]);
        Assert.Equal("1000:1000", image.Config.User);
        Assert.Contains("LANG=C.UTF-8", image.Config.Env!);

        await using var again = DockerFixture.BuildProvider(DebianFixture.Settings());
        Assert.Equal(debian.Reference, await again.GetRequiredService<DockerSandboxService>().Images.EnsureAsync(DebianFixture.Image, force: false, debian.Token));
        Assert.Equal(image.ID, (await client.Images.InspectImageAsync(debian.Reference, debian.Token)).ID);
        Assert.Equal(root.ID, (await client.Images.InspectImageAsync($"agent-sandbox/{DebianFixture.Image}-rootfs:latest", debian.Token)).ID);
    }

    /// <summary>Proves the commands models write (git, python3, sqlite3, jq, curl, sha256sum, tar) run for the sandbox user.</summary>
    [Fact]
    public async Task ExecAsync_DebianImage_RunsTheToolsModelsWrite()
    {
        await using var sandbox = await debian.NewSandboxAsync("deb-tools");
        Assert.StartsWith("git version 2.", await OkAsync(sandbox, "git --version"), StringComparison.Ordinal);
        Assert.Equal("42\n", await OkAsync(sandbox, "python3 -c 'import json, sqlite3; print(json.loads(\"[6, 7]\")[0] * 7)'"));
        Assert.Equal("3\n", await OkAsync(sandbox, "sqlite3 :memory: 'create table t(x); insert into t values (1), (2); select sum(x) from t;'"));
        Assert.Equal("\"b\"\n", await OkAsync(sandbox, "echo '{\"a\": \"b\"}' | jq .a"));
        Assert.StartsWith("curl 7.", await OkAsync(sandbox, "curl --version"), StringComparison.Ordinal);
        Assert.StartsWith("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", await OkAsync(sandbox, "printf hello | sha256sum"), StringComparison.Ordinal);

        // A repository, a commit and a tarball in the workspace, as a task would make them.
        var log = await OkAsync(
            sandbox,
            "git init -q repo && cd repo && echo hi > a.txt && git add a.txt && git -c user.name=t -c user.email=t@example.invalid commit -qm first " +
            "&& git log --format=%s && cd .. && tar -czf repo.tgz repo && tar -tzf repo.tgz | grep -c a.txt");
        Assert.Equal("first\n1\n", log);
        Assert.Equal("sandbox\n", await OkAsync(sandbox, "id -un"));
    }

    /// <summary>Proves the debian sandbox runs under the same hardening as the default image: user, capabilities, no-new-privileges, seccomp, read-only root, limits.</summary>
    [Fact]
    public async Task ExecAsync_DebianImage_KeepsEveryHardening()
    {
        await using var sandbox = await debian.NewSandboxAsync("deb-hard");
        var result = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/proc/self/status"), debian.Token);
        var status = result.StandardOutput.Split('\n').Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        Assert.StartsWith("1000\t", status["Uid"], StringComparison.Ordinal);
        Assert.StartsWith("1000\t", status["Gid"], StringComparison.Ordinal);
        Assert.True(status["Groups"] is "" or "1000", $"supplementary groups: '{status["Groups"]}'");
        Assert.Equal("0000000000000000", status["CapEff"]);
        Assert.Equal("0000000000000000", status["CapBnd"]);
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.Equal("2", status["Seccomp"]);
        var mounts = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/proc/mounts"), debian.Token);
        Assert.Matches(@"(?m)^\S+ / \S+ ro[, ]", mounts.StandardOutput);
        Assert.Matches(@"(?m)^tmpfs /workspace tmpfs rw", mounts.StandardOutput);
        foreach (var target in new[] { "/etc/passwd", "/usr/bin/git", "/newfile" })
        {
            Assert.NotEqual(0, (await sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", "echo pwned > \"$0\"", target), debian.Token)).ExitCode);
        }

        // setuid binaries of the image (su, mount) give nothing under no-new-privileges.
        Assert.NotEqual(0, (await sandbox.ExecAsync(new SandboxExecRequest("mount", "-o", "remount,rw", "/"), debian.Token)).ExitCode);

        var client = await debian.Implementation.Engine.ClientAsync(debian.Token);
        var host = (await client.Containers.InspectContainerAsync(sandbox.ContainerId, debian.Token)).HostConfig!;
        Assert.Equal("none", host.NetworkMode);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Contains("no-new-privileges:true", host.SecurityOpt!);
        Assert.True(host.ReadonlyRootfs);
        Assert.False(host.Privileged);
        Assert.Equal(DockerFixture.PidsLimit, host.PidsLimit);
        Assert.Equal(DockerFixture.MemoryLimitMiB * 1024L * 1024L, host.Memory);
    }

    /// <summary>Proves the debian sandbox has no network: only loopback, no name resolution, no route out, even with curl and python at hand.</summary>
    [Fact]
    public async Task ExecAsync_DebianImage_NetworkIsOff()
    {
        await using var sandbox = await debian.NewSandboxAsync("deb-net");
        var interfaces = await OkAsync(sandbox, "cat /proc/net/dev");
        var names = interfaces.Split('\n').Skip(2).Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l.Split(':')[0].Trim()).ToList();
        Assert.Equal(["lo"], names);
        var curl = await sandbox.ExecAsync(new SandboxExecRequest("curl", "-sS", "--max-time", "5", "http://deb.debian.org/debian/"), debian.Token);
        Assert.NotEqual(0, curl.ExitCode);
        var connect = await sandbox.ExecAsync(
            new SandboxExecRequest("python3", "-c", "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=3)\n    print('connected')\nexcept OSError as e:\n    print('refused', e.errno)"),
            debian.Token);
        Assert.StartsWith("refused", connect.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>Proves files.read / write / list work on the image's dash and coreutils, links that leave the workspace included.</summary>
    [Fact]
    public async Task FileOperations_DebianImage_WorkAndStayInTheWorkspace()
    {
        await using var sandbox = await debian.NewSandboxAsync("deb-files");
        var content = Encoding.UTF8.GetBytes("print('hi')\n");
        await sandbox.PutFileAsync("src/app/main.py", content, debian.Token);
        Assert.Equal(content, await sandbox.GetFileAsync("./src//app/main.py", debian.Token));
        Assert.Equal("hi\n", await OkAsync(sandbox, "python3 src/app/main.py"));
        Assert.Equal($"1000 {content.Length}\n", await OkAsync(sandbox, "stat -c '%u %s' src/app/main.py"));
        await sandbox.PutFileAsync("src/app/main.py", "print('again')\n"u8.ToArray(), debian.Token);
        Assert.Equal("again\n", await OkAsync(sandbox, "python3 src/app/main.py"));

        Assert.Equal("", await OkAsync(sandbox, "ln -s /etc etc-link && ln -s /etc/passwd passwd-link && ln -s src inner-link && mkfifo fifo"));
        var listing = await sandbox.ListFilesAsync(cancellationToken: debian.Token);
        Assert.Contains(listing, e => e is { Path: "src/app/main.py", Kind: SandboxFileKind.File } && e.Size == 15);
        Assert.Contains(listing, e => e is { Path: "src/app", Kind: SandboxFileKind.Directory });
        Assert.Contains(listing, e => e is { Path: "etc-link", Kind: SandboxFileKind.SymbolicLink, LinkTarget: "/etc" });
        Assert.Equal(["src/app/main.py"], (await sandbox.ListFilesAsync("src/app", debian.Token)).Select(e => e.Path));

        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("etc-link/passwd", debian.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("passwd-link", debian.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.PutFileAsync("etc-link/x", "x"u8.ToArray(), debian.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.ListFilesAsync("etc-link", debian.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("fifo", debian.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("missing.txt", debian.Token));
        await Assert.ThrowsAsync<SandboxPathException>(() => sandbox.GetFileAsync("src", debian.Token));
        Assert.Equal(content.Length + 3, (await sandbox.GetFileAsync("inner-link/app/main.py", debian.Token)).Length);
    }

    /// <summary>Proves an exec timeout still ends every process of the sandbox user (background ones and SIGTERM-ignoring ones) under dash, and the sandbox keeps working.</summary>
    [Fact]
    public async Task ExecAsync_DebianImage_TimeoutKillsTheProcessTree()
    {
        await using var sandbox = await debian.NewSandboxAsync("deb-kill");
        Assert.Equal("bg\n", await OkAsync(sandbox, "(sleep 300 # earlier-background\n) >/dev/null 2>&1 & echo bg"));
        var stubborn = new SandboxExecRequest("bash", "-c", "trap '' TERM; (trap '' TERM; while :; do sleep 1; done) & echo started; while :; do sleep 1; done", "stubborn-tree")
        {
            Timeout = TimeSpan.FromSeconds(1),
        };
        var error = await Assert.ThrowsAsync<SandboxExecTimeoutException>(() => sandbox.ExecAsync(stubborn, debian.Token));
        Assert.Equal("started\n", error.PartialOutput.StandardOutput);
        var ps = await OkAsync(sandbox, "ps -eo pid,args");
        Assert.DoesNotContain("stubborn-tree", ps, StringComparison.Ordinal);
        Assert.DoesNotContain("sleep 300", ps, StringComparison.Ordinal);
        Assert.DoesNotContain("sleep 1", ps, StringComparison.Ordinal);
        Assert.Equal("alive\n", await OkAsync(sandbox, "echo alive"));
    }

    private async Task<string> OkAsync(ISandbox sandbox, string script)
    {
        var result = await sandbox.ExecAsync(new SandboxExecRequest("sh", "-c", script), debian.Token);
        Assert.True(result.ExitCode == 0, $"`{script}` exited {result.ExitCode}: {result.StandardError}");
        return result.StandardOutput;
    }
}
