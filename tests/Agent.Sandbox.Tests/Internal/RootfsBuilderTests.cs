using Agent.Sandbox.Internal;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Sandbox.Tests.Internal;

/// <summary>
/// The rootfs.sh mechanism of an image folder, with a tiny root (the host's static busybox) instead of debootstrap so
/// that it costs a second: the script's tar is imported, the Dockerfile builds over it, and only a change to the
/// script builds the root again.
/// </summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class RootfsBuilderTests(DockerFixture docker)
{
    private const string Prefix = "agent-sandbox-rootfs-test";

    /// <summary>Proves a folder with rootfs.sh gets its root imported and labelled, its Dockerfile built over it, and a sandbox that runs; a Dockerfile change reuses the root, a script change rebuilds it.</summary>
    [Fact]
    public async Task EnsureAsync_FolderWithRootfsScript_ImportsRootAndRebuildsItOnlyWhenTheScriptChanges()
    {
        var images = Directory.CreateTempSubdirectory("agent-sandbox-images-");
        var runs = Path.Combine(images.FullName, "runs.log");
        var dir = Path.Combine(images.FullName, "tiny");
        Directory.CreateDirectory(dir);
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "rootfs.sh"), Script(runs, "one"), docker.Token);
            await File.WriteAllTextAsync(Path.Combine(dir, "Dockerfile"), "ARG ROOTFS\nFROM ${ROOTFS}\nUSER 1000:1000\n", docker.Token);
            var settings = new Dictionary<string, string?>(DockerFixture.Settings())
            {
                ["Sandbox:ImagesDirectory"] = images.FullName,
                ["Sandbox:Image"] = "tiny",
                ["Sandbox:ImageRepositoryPrefix"] = Prefix,
                ["Sandbox:WarmPoolSize"] = "0",
            };
            using var logs = new RecordingLoggerProvider();
            await using (var provider = DockerFixture.BuildProvider(settings, logs))
            {
                await using var sandbox = await provider.GetRequiredService<ISandboxService>().GetOrCreateAsync("rootfs-test", docker.Token);
                var result = await sandbox.ExecAsync(new SandboxExecRequest("cat", "/marker"), docker.Token);
                Assert.Equal("one\n", result.StandardOutput);
            }

            // Built on first use, and the user is told so while it runs: what, with which script, each phase, the outcome.
            Assert.Contains(logs.Messages, m => m.StartsWith($"Building the root filesystem of sandbox image {Prefix}/tiny-rootfs:latest with {Path.Combine(dir, "rootfs.sh")}", StringComparison.Ordinal));
            Assert.Contains($"Root filesystem {Prefix}/tiny-rootfs:latest: Writing the root", logs.Messages);
            Assert.Contains(logs.Messages, m => m.StartsWith($"Built and imported root filesystem {Prefix}/tiny-rootfs:latest in ", StringComparison.Ordinal));
            Assert.Contains(logs.Messages, m => m.StartsWith($"Building sandbox image {Prefix}/tiny:latest", StringComparison.Ordinal));

            var root = await client.Images.InspectImageAsync($"{Prefix}/tiny-rootfs:latest", docker.Token);
            var context = ImageBuilder.BuildContext.Load(images.FullName, "tiny");
            Assert.Equal(context.RootfsHash, root.Config!.Labels![SandboxLabels.ContextHash]);
            Assert.Equal("true", root.Config.Labels[SandboxLabels.Marker]);
            Assert.Single(await File.ReadAllLinesAsync(runs, docker.Token));

            await File.AppendAllTextAsync(Path.Combine(dir, "Dockerfile"), "ENV CHANGED=1\n", docker.Token);
            await using (var provider = DockerFixture.BuildProvider(settings))
            {
                await provider.GetRequiredService<DockerSandboxService>().Images.EnsureAsync("tiny", force: false, docker.Token);
            }

            Assert.Single(await File.ReadAllLinesAsync(runs, docker.Token));
            Assert.Contains("CHANGED=1", (await client.Images.InspectImageAsync($"{Prefix}/tiny:latest", docker.Token)).Config!.Env!);

            await File.WriteAllTextAsync(Path.Combine(dir, "rootfs.sh"), Script(runs, "two"), docker.Token);
            await using (var provider = DockerFixture.BuildProvider(settings))
            {
                await using var sandbox = await provider.GetRequiredService<ISandboxService>().GetOrCreateAsync("rootfs-test", docker.Token);
                Assert.Equal("two\n", (await sandbox.ExecAsync(new SandboxExecRequest("cat", "/marker"), docker.Token)).StandardOutput);
            }

            Assert.Equal(2, (await File.ReadAllLinesAsync(runs, docker.Token)).Length);
        }
        finally
        {
            foreach (var reference in new[] { $"{Prefix}/tiny:latest", $"{Prefix}/tiny-rootfs:latest" })
            {
                try
                {
                    await client.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = true }, CancellationToken.None);
                }
                catch (Docker.DotNet.DockerImageNotFoundException)
                {
                }
            }

            images.Delete(recursive: true);
        }
    }

    /// <summary>Proves a failing rootfs.sh stops the build with a typed error that names the script, its exit code and its last line, and builds nothing.</summary>
    [Fact]
    public async Task EnsureAsync_RootfsScriptFails_ThrowsWithItsLastLine()
    {
        var images = Directory.CreateTempSubdirectory("agent-sandbox-images-");
        try
        {
            var dir = Path.Combine(images.FullName, "failing");
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, "rootfs.sh"), "echo 'I: Retrieving nothing'\necho 'rootfs.sh: the archive is unreachable' >&2\nexit 3\n", docker.Token);
            await File.WriteAllTextAsync(Path.Combine(dir, "Dockerfile"), "ARG ROOTFS\nFROM ${ROOTFS}\n", docker.Token);
            var settings = new Dictionary<string, string?>(DockerFixture.Settings())
            {
                ["Sandbox:ImagesDirectory"] = images.FullName,
                ["Sandbox:Image"] = "failing",
                ["Sandbox:ImageRepositoryPrefix"] = Prefix,
            };
            await using var provider = DockerFixture.BuildProvider(settings);
            var error = await Assert.ThrowsAsync<SandboxImageBuildException>(
                () => provider.GetRequiredService<DockerSandboxService>().Images.EnsureAsync("failing", force: false, docker.Token));
            Assert.Equal("failing", error.Image);
            Assert.Contains("rootfs.sh exited with code 3: rootfs.sh: the archive is unreachable", error.Message, StringComparison.Ordinal);
            Assert.Contains("I: Retrieving nothing", error.LogTail, StringComparison.Ordinal);
            var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
            var left = await client.Images.ListImagesAsync(new ImagesListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["reference"] = new Dictionary<string, bool> { [$"{Prefix}/failing*"] = true } } }, docker.Token);
            Assert.Empty(left);
        }
        finally
        {
            images.Delete(recursive: true);
        }
    }

    /// <summary>Proves a cancelled root build ends the script's whole process group with SIGTERM (its trap runs, its children die) and builds nothing.</summary>
    [Fact]
    public async Task EnsureAsync_Cancelled_StopsTheScriptsProcessGroup()
    {
        var images = Directory.CreateTempSubdirectory("agent-sandbox-images-");
        var log = Path.Combine(images.FullName, "script.log");
        try
        {
            var dir = Path.Combine(images.FullName, "slow");
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(
                Path.Combine(dir, "rootfs.sh"),
                $"trap 'echo cleaned >> {log}' EXIT\ntrap 'exit 143' TERM\nsleep 300 &\necho \"started $!\" >> {log}\nwait\n",
                docker.Token);
            await File.WriteAllTextAsync(Path.Combine(dir, "Dockerfile"), "ARG ROOTFS\nFROM ${ROOTFS}\n", docker.Token);
            var settings = new Dictionary<string, string?>(DockerFixture.Settings())
            {
                ["Sandbox:ImagesDirectory"] = images.FullName,
                ["Sandbox:Image"] = "slow",
                ["Sandbox:ImageRepositoryPrefix"] = Prefix,
            };
            await using var provider = DockerFixture.BuildProvider(settings);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(docker.Token);
            var build = provider.GetRequiredService<DockerSandboxService>().Images.EnsureAsync("slow", force: false, cancel.Token);
            while (!File.Exists(log) || !(await File.ReadAllTextAsync(log, docker.Token)).Contains("started", StringComparison.Ordinal))
            {
                await Task.Delay(100, docker.Token);
            }

            var sleeper = (await File.ReadAllLinesAsync(log, docker.Token))[0].Split(' ')[1];
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => build);
            Assert.Contains("cleaned", await File.ReadAllTextAsync(log, docker.Token), StringComparison.Ordinal);
            for (var i = 0; i < 50 && File.Exists($"/proc/{sleeper}/stat") && !(await File.ReadAllTextAsync($"/proc/{sleeper}/stat", docker.Token)).Contains(") Z", StringComparison.Ordinal); i++)
            {
                await Task.Delay(100, docker.Token);
            }

            Assert.True(!File.Exists($"/proc/{sleeper}/stat") || (await File.ReadAllTextAsync($"/proc/{sleeper}/stat", docker.Token)).Contains(") Z", StringComparison.Ordinal), "the script's child outlived the cancelled build");
        }
        finally
        {
            images.Delete(recursive: true);
        }
    }

    /// <summary>A root of the host's static busybox and a marker file; each run appends a line to <paramref name="runs"/>.</summary>
    private static string Script(string runs, string marker) => $$"""
        set -eu
        echo run >> '{{runs}}'
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        chmod 0755 "$work"
        mkdir -p "$work/bin" "$work/tmp" "$work/workspace"
        cp /bin/busybox "$work/bin/busybox"
        for tool in sh cat sleep timeout; do ln -s busybox "$work/bin/$tool"; done
        echo {{marker}} > "$work/marker"
        echo "I: Writing the root"
        tar --numeric-owner -C "$work" -cf "$1" .
        """;
}
