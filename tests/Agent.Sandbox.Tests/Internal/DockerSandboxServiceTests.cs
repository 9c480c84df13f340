using System.Text;
using Agent.Sandbox.Internal;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Sandbox.Tests.Internal;

/// <summary>Lifecycle of sandboxes: per run, warm pool, labels, orphans, shutdown, and the engine errors.</summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class DockerSandboxServiceTests(DockerFixture docker)
{
    [Fact]
    public async Task GetOrCreateAsync_SameRunTwice_ReturnsSameLabelledContainer()
    {
        var runId = "run-same-" + Guid.NewGuid().ToString("N")[..8];
        var first = await docker.Service.GetOrCreateAsync(runId, docker.Token);
        var second = await docker.Service.GetOrCreateAsync(runId, docker.Token);
        Assert.Same(first, second);
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        var inspect = await client.Containers.InspectContainerAsync(first.ContainerId, docker.Token);
        Assert.Equal("true", inspect.Config!.Labels![SandboxLabels.Marker]);
        Assert.Equal(docker.Implementation.Owner, inspect.Config!.Labels![SandboxLabels.Owner]);
        Assert.Contains(runId, inspect.Name, StringComparison.Ordinal);
        Assert.Equal("none", inspect.HostConfig!.NetworkMode);
        Assert.True(inspect.HostConfig.ReadonlyRootfs);
        Assert.Equal(["ALL"], inspect.HostConfig.CapDrop);
        Assert.Contains("no-new-privileges:true", inspect.HostConfig.SecurityOpt);
        Assert.Equal(DockerFixture.MemoryLimitMiB * 1024L * 1024L, inspect.HostConfig.Memory);
        Assert.Equal(inspect.HostConfig.Memory, inspect.HostConfig.MemorySwap);

        await docker.Service.ReleaseAsync(runId, docker.Token);
        var remaining = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = SandboxLabels.MarkerFilter() }, docker.Token);
        Assert.DoesNotContain(remaining, c => c.ID == first.ContainerId);
        await Assert.ThrowsAsync<SandboxContainerDiedException>(() => first.ExecAsync(new SandboxExecRequest("true"), docker.Token));
    }

    [Fact]
    public async Task GetOrCreateAsync_ContainerKilledFromOutside_ReportsDeathThenReplaces()
    {
        var runId = "run-killed-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var sandbox = await docker.Service.GetOrCreateAsync(runId, docker.Token);
            var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
            await client.Containers.KillContainerAsync(sandbox.ContainerId, new ContainerKillParameters { Signal = "KILL" }, docker.Token);
            var died = await Assert.ThrowsAsync<SandboxContainerDiedException>(() => sandbox.ExecAsync(new SandboxExecRequest("true"), docker.Token));
            Assert.Contains("exit code", died.Reason, StringComparison.Ordinal);
            var replacement = await docker.Service.GetOrCreateAsync(runId, docker.Token);
            Assert.NotEqual(sandbox.ContainerId, replacement.ContainerId);
            Assert.Equal(0, (await replacement.ExecAsync(new SandboxExecRequest("true"), docker.Token)).ExitCode);
        }
        finally
        {
            await docker.Service.ReleaseAsync(runId, CancellationToken.None);
        }
    }

    [Fact]
    public async Task GetOrCreateAsync_WarmPoolReady_HandsOutPooledContainer()
    {
        for (var i = 0; i < 100 && docker.Implementation.PooledCount == 0; i++)
        {
            await Task.Delay(100, docker.Token);
        }

        Assert.Equal(1, docker.Implementation.PooledCount);
        await using var sandbox = await docker.NewSandboxAsync("pool");
        Assert.Equal(0, (await sandbox.ExecAsync(new SandboxExecRequest("true"), docker.Token)).ExitCode);
        Assert.Contains("test-pool", ((Agent.Sandbox.Internal.DockerSandbox)sandbox).Name, StringComparison.Ordinal);
    }

    /// <summary>Proves a container left by a dead process is removed when a new service starts, while detached ones survive.</summary>
    [Fact]
    public async Task StartAsync_OrphansOfDeadProcess_Removed()
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        var deadOwner = DeadOwner();
        var orphan = await client.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Image = "agent-sandbox/default:latest",
                Cmd = ["true"],
                Labels = SandboxLabels.For(deadOwner, "orphan-test"),
                HostConfig = new HostConfig { NetworkMode = "none" },
            },
            docker.Token);

        await using (var provider = DockerFixture.BuildProvider(new(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "0" }))
        {
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(docker.Token);
            }

            var all = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, docker.Token);
            Assert.DoesNotContain(all, c => c.ID == orphan.ID);
        }
    }

    /// <summary>
    /// Proves a crashed service's run sandbox is adopted as it is: a second service (as after a restart) that never saw the run
    /// finds the container still running, with the file the run wrote, uses it for the run, and removes it on release.
    /// </summary>
    [Fact]
    public async Task FindAsync_SandboxLeftRunningByCrashedService_AdoptsItWithItsWorkspace()
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        var settings = new Dictionary<string, string?>(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "0" };
        var runId = "run-adopt-" + Guid.NewGuid().ToString("N")[..8];
        var crashed = DockerFixture.BuildProvider(settings);
        var original = await crashed.GetRequiredService<ISandboxService>().GetOrCreateAsync(runId, docker.Token);
        await original.PutFileAsync("notes/kept.txt", "written before the crash"u8.ToArray(), docker.Token);
        // The crash: the service is neither stopped nor disposed, so nothing releases the run's container.

        await using var restarted = DockerFixture.BuildProvider(settings);
        foreach (var hosted in restarted.GetServices<IHostedService>())
        {
            await hosted.StartAsync(docker.Token);
        }

        var service = restarted.GetRequiredService<ISandboxService>();

        var adopted = await service.FindAsync(runId, docker.Token);

        Assert.NotNull(adopted);
        Assert.Equal(original.ContainerId, adopted.ContainerId);
        Assert.Same(adopted, await service.GetOrCreateAsync(runId, docker.Token));
        Assert.Equal("written before the crash", Encoding.UTF8.GetString(await adopted.GetFileAsync("notes/kept.txt", docker.Token)));

        await service.ReleaseAsync(runId, docker.Token);
        var all = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, docker.Token);
        Assert.DoesNotContain(all, c => c.ID == original.ContainerId);
        Assert.Null(await service.FindAsync(runId, docker.Token));
    }

    /// <summary>
    /// Proves the sandbox a SIGKILLed process left running for a run is not removed as an orphan at the next start: it is
    /// listed as a survivor, adopted by FindAsync and removed by ReleaseAsync.
    /// </summary>
    [Fact]
    public async Task StartAsync_RunningRunContainerOfDeadProcess_KeptForAdoption()
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        var deadOwner = DeadOwner();
        var runId = "run-survivor-" + Guid.NewGuid().ToString("N")[..8];
        var survivor = await client.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Image = "agent-sandbox/default:latest",
                Entrypoint = ["/bin/sh", "-c"],
                Cmd = ["sleep 120"],
                User = "1000:1000",
                Labels = SandboxLabels.For(deadOwner, runId),
                HostConfig = new HostConfig { NetworkMode = "none", Init = true, Tmpfs = new Dictionary<string, string> { ["/workspace"] = "rw,size=1m,uid=1000,gid=1000" } },
            },
            docker.Token);
        try
        {
            await client.Containers.StartContainerAsync(survivor.ID, new ContainerStartParameters(), docker.Token);
            await using var provider = DockerFixture.BuildProvider(new(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "0" });
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(docker.Token);
            }

            var service = provider.GetRequiredService<ISandboxService>();
            Assert.Contains(runId, await service.ListSurvivingRunsAsync(docker.Token));

            var adopted = await service.FindAsync(runId, docker.Token);

            Assert.Equal(survivor.ID, adopted?.ContainerId);
            Assert.Equal(0, (await adopted!.ExecAsync(new SandboxExecRequest("true"), docker.Token)).ExitCode);
            await service.ReleaseAsync(runId, docker.Token);
            var all = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, docker.Token);
            Assert.DoesNotContain(all, c => c.ID == survivor.ID);
        }
        finally
        {
            try
            {
                await client.Containers.RemoveContainerAsync(survivor.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
            }
            catch (Docker.DotNet.DockerApiException)
            {
                // Already removed by ReleaseAsync.
            }
        }
    }

    /// <summary>
    /// Proves starting a service (as any `agent` verb does) leaves alone the sandboxes of another live process of the
    /// same installation: its warm-pool container and the pooled container it handed to a run (whose run label still
    /// says pool). The other process computes its own owner label; this one judges it alive or not.
    /// </summary>
    [Fact]
    public async Task StartAsync_OtherLiveProcessOwnsSandboxes_TheyAreKept()
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        await using var other = await OwnerProcess.StartAsync(docker.Token);
        try
        {
            var before = await ContainersOfAsync(other.Owner);
            Assert.Equal(2, before.Count);
            Assert.Contains(before, c => c.ID == other.RunContainerId);

            await using (var provider = DockerFixture.BuildProvider(new(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "0" }))
            {
                foreach (var hosted in provider.GetServices<IHostedService>())
                {
                    await hosted.StartAsync(docker.Token);
                }
            }

            var after = await ContainersOfAsync(other.Owner);
            Assert.Equal(before.Select(c => c.ID).Order(), after.Select(c => c.ID).Order());
            Assert.All(after, c => Assert.Equal("running", c.State));
        }
        finally
        {
            await other.DisposeAsync();
            await RemoveContainersOfAsync(other.Owner);
        }
    }

    /// <summary>
    /// Proves the pooled container a SIGKILLed process had handed to a run is the run's survivor, not an orphan: it is kept
    /// at the next start, listed, adopted with FindAsync; the dead process's idle pool container is removed.
    /// </summary>
    [Fact]
    public async Task StartAsync_PooledContainerHandedToRunOfKilledProcess_KeptForAdoption()
    {
        await using var other = await OwnerProcess.StartAsync(docker.Token);
        try
        {
            await other.KillAsync();
            await using var provider = DockerFixture.BuildProvider(new(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "0" });
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(docker.Token);
            }

            Assert.Equal([other.RunContainerId], (await ContainersOfAsync(other.Owner)).Select(c => c.ID));
            var service = provider.GetRequiredService<ISandboxService>();
            Assert.Contains(other.RunId, await service.ListSurvivingRunsAsync(docker.Token));

            var adopted = await service.FindAsync(other.RunId, docker.Token);

            Assert.Equal(other.RunContainerId, adopted?.ContainerId);
            Assert.Equal(0, (await adopted!.ExecAsync(new SandboxExecRequest("true"), docker.Token)).ExitCode);
            await service.ReleaseAsync(other.RunId, docker.Token);
            Assert.Empty(await ContainersOfAsync(other.Owner));
        }
        finally
        {
            await RemoveContainersOfAsync(other.Owner);
        }
    }

    /// <summary>Proves orphan removal at start touches only this installation's containers: a dead owner's container of another installation is kept.</summary>
    [Fact]
    public async Task StartAsync_DeadOwnerOfAnotherInstallation_ContainerKept()
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        var labels = SandboxLabels.For(DeadOwner(), "foreign-test");
        labels["agent.sandbox.installation"] = "another-installation-" + Guid.NewGuid().ToString("N")[..8];
        var foreign = await client.Containers.CreateContainerAsync(
            new CreateContainerParameters { Image = "agent-sandbox/default:latest", Cmd = ["true"], Labels = labels, HostConfig = new HostConfig { NetworkMode = "none" } },
            docker.Token);
        try
        {
            await using var provider = DockerFixture.BuildProvider(new(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "0" });
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(docker.Token);
            }

            var all = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, docker.Token);
            Assert.Contains(all, c => c.ID == foreign.ID);
        }
        finally
        {
            await client.Containers.RemoveContainerAsync(foreign.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None)
                .ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Proves a pooled container that died while it waited is not handed to a run: the run gets a working sandbox.</summary>
    [Fact]
    public async Task GetOrCreateAsync_PooledContainerDied_RunGetsWorkingSandbox()
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        await using var provider = DockerFixture.BuildProvider(new(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "1", ["Sandbox:RemoveOrphansOnStart"] = "false" });
        var service = provider.GetRequiredService<DockerSandboxService>();
        await service.StartAsync(docker.Token);
        for (var i = 0; i < 200 && service.PooledCount == 0; i++)
        {
            await Task.Delay(50, docker.Token);
        }

        var pooled = Assert.Single(await ContainersOfAsync(service.Owner));
        await client.Containers.KillContainerAsync(pooled.ID, new ContainerKillParameters { Signal = "KILL" }, docker.Token);
        await client.Containers.WaitContainerAsync(pooled.ID, docker.Token);
        var runId = "run-deadpool-" + Guid.NewGuid().ToString("N")[..8];

        var sandbox = await service.GetOrCreateAsync(runId, docker.Token);

        Assert.NotEqual(pooled.ID, sandbox.ContainerId);
        Assert.Equal(0, (await sandbox.ExecAsync(new SandboxExecRequest("true"), docker.Token)).ExitCode);
        await service.StopAsync(docker.Token);
    }

    /// <summary>Proves `agent sandbox clean` (without --all) removes its own installation's sandboxes, detached ones included, and not another installation's.</summary>
    [Fact]
    public async Task RemoveAllAsync_SandboxOfAnotherInstallation_Kept()
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        var settings = Microsoft.Extensions.Options.Options.Create(new SandboxOptions
        {
            DockerEndpoint = DockerFixture.Settings()["Sandbox:DockerEndpoint"]!,
            WarmPoolSize = 0,
            MemoryLimitMiB = DockerFixture.MemoryLimitMiB,
            MemorySwapLimitMiB = DockerFixture.MemoryLimitMiB,
            RemoveOrphansOnStart = false,
        });
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await using var mine = new DockerSandboxService(settings, null, "test-mine-" + suffix);
        await using var theirs = new DockerSandboxService(settings, null, "test-theirs-" + suffix);
        var kept = await mine.CreateDetachedAsync("clean-mine-" + suffix, docker.Token);
        var foreign = await theirs.CreateDetachedAsync("clean-theirs-" + suffix, docker.Token);
        try
        {
            var removed = await mine.RemoveAllAsync(cancellationToken: docker.Token);

            Assert.Equal(1, removed);
            var all = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, docker.Token);
            Assert.DoesNotContain(all, c => c.ID == kept.ContainerId);
            Assert.Contains(all, c => c.ID == foreign.ContainerId);
            var volumes = await client.Volumes.ListAsync(docker.Token);
            Assert.DoesNotContain(volumes.Volumes ?? [], v => v.Name == ((DockerSandbox)kept).VolumeName);
            Assert.Contains(volumes.Volumes ?? [], v => v.Name == ((DockerSandbox)foreign).VolumeName);
        }
        finally
        {
            await theirs.RemoveAllAsync(cancellationToken: CancellationToken.None);
        }
    }

    /// <summary>Proves a run without any sandbox is not given one by FindAsync.</summary>
    [Fact]
    public async Task FindAsync_RunWithoutSandbox_ReturnsNull()
    {
        Assert.Null(await docker.Service.FindAsync("run-never-had-one-" + Guid.NewGuid().ToString("N")[..8], docker.Token));
    }

    /// <summary>Proves a stopping host removes its own containers (and their workspace volumes).</summary>
    [Fact]
    public async Task StopAsync_OwnSandboxes_Removed()
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        var settings = new Dictionary<string, string?>(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "0" };
        string containerId;
        await using (var provider = DockerFixture.BuildProvider(settings))
        {
            var service = provider.GetRequiredService<DockerSandboxService>();
            var sandbox = await service.GetOrCreateAsync("stop-test", docker.Token);
            containerId = sandbox.ContainerId;
            await service.StopAsync(docker.Token);
        }

        var all = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, docker.Token);
        Assert.DoesNotContain(all, c => c.ID == containerId);
    }

    /// <summary>Proves a user-defined network the engine lacks fails with a typed exception naming the key, and leaves no container or volume behind.</summary>
    [Fact]
    public async Task GetOrCreateAsync_NetworkModeNamesMissingNetwork_ThrowsNetworkNotFound()
    {
        var network = "agent-missing-net-" + Guid.NewGuid().ToString("N")[..8];
        await using var provider = DockerFixture.BuildProvider(new(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "0", ["Sandbox:RemoveOrphansOnStart"] = "false", ["Sandbox:NetworkMode"] = network });
        var service = provider.GetRequiredService<DockerSandboxService>();

        var error = await Assert.ThrowsAsync<SandboxNetworkNotFoundException>(() => service.GetOrCreateAsync("run-missing-net", docker.Token));

        Assert.Equal(network, error.Network);
        Assert.Contains("Sandbox:NetworkMode", error.Message, StringComparison.Ordinal);
        Assert.Empty(await ContainersOfAsync(service.Owner));
    }

    /// <summary>Proves nothing runs when the daemon is absent: the typed exception says how to start it.</summary>
    [Fact]
    public async Task GetOrCreateAsync_DaemonUnreachable_ThrowsWithStartInstructions()
    {
        await using var provider = DockerFixture.BuildProvider(DockerFixture.Settings("unix:///tmp/no-docker-here.sock"));
        var service = provider.GetRequiredService<ISandboxService>();
        var error = await Assert.ThrowsAsync<DockerUnavailableException>(() => service.GetOrCreateAsync("unreachable", docker.Token));
        Assert.Contains("scripts/docker-up.sh", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sandbox:DockerEndpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientAsync_RequestedApiNewerThanDaemon_NegotiatesDown()
    {
        var settings = new Dictionary<string, string?>(DockerFixture.Settings()) { ["Sandbox:ApiVersion"] = "1.99" };
        await using var provider = DockerFixture.BuildProvider(settings);
        var service = provider.GetRequiredService<DockerSandboxService>();
        await service.Engine.ClientAsync(docker.Token);
        var daemon = await (await docker.Implementation.Engine.ClientAsync(docker.Token)).System.GetVersionAsync(docker.Token);
        Assert.Equal(System.Version.Parse(daemon.APIVersion), service.Engine.NegotiatedVersion);
    }

    /// <summary>Proves a broken Dockerfile fails with a typed exception carrying the build log's tail.</summary>
    [Fact]
    public async Task BuildImagesAsync_BrokenDockerfile_ThrowsWithLogTail()
    {
        var images = Directory.CreateTempSubdirectory("agent-sandbox-images-");
        try
        {
            Directory.CreateDirectory(Path.Combine(images.FullName, "broken"));
            await File.WriteAllTextAsync(Path.Combine(images.FullName, "broken", "Dockerfile"), "FROM scratch\nCOPY missing-file /x\n", docker.Token);
            var settings = new Dictionary<string, string?>(DockerFixture.Settings()) { ["Sandbox:ImagesDirectory"] = images.FullName, ["Sandbox:Image"] = "broken" };
            await using var provider = DockerFixture.BuildProvider(settings);
            var error = await Assert.ThrowsAsync<SandboxImageBuildException>(() => provider.GetRequiredService<ISandboxService>().BuildImagesAsync(cancellationToken: docker.Token));
            Assert.Equal("broken", error.Image);
            Assert.Contains("missing-file", error.Message, StringComparison.Ordinal);
            Assert.Contains("COPY", error.LogTail, StringComparison.Ordinal);
        }
        finally
        {
            images.Delete(recursive: true);
        }
    }

    /// <summary>Proves one image that cannot be built (a root script that fails, as the debian one does without root) does not keep the others from being built, and its failure is still reported.</summary>
    [Fact]
    public async Task BuildImagesAsync_OneImageFails_BuildsTheOthersThenThrows()
    {
        var images = Directory.CreateTempSubdirectory("agent-sandbox-images-");
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        try
        {
            Directory.CreateDirectory(Path.Combine(images.FullName, "a-rooted"));
            await File.WriteAllTextAsync(Path.Combine(images.FullName, "a-rooted", "rootfs.sh"), "echo 'needs root' >&2\nexit 3\n", docker.Token);
            await File.WriteAllTextAsync(Path.Combine(images.FullName, "a-rooted", "Dockerfile"), "ARG ROOTFS\nFROM ${ROOTFS}\n", docker.Token);
            Directory.CreateDirectory(Path.Combine(images.FullName, "b-plain"));
            await File.WriteAllTextAsync(Path.Combine(images.FullName, "b-plain", "Dockerfile"), "FROM scratch\nCOPY note.txt /note.txt\n", docker.Token);
            await File.WriteAllTextAsync(Path.Combine(images.FullName, "b-plain", "note.txt"), "plain", docker.Token);
            var settings = new Dictionary<string, string?>(DockerFixture.Settings()) { ["Sandbox:ImagesDirectory"] = images.FullName, ["Sandbox:Image"] = "b-plain", ["Sandbox:ImageRepositoryPrefix"] = "agent-sandbox-test" };
            await using var provider = DockerFixture.BuildProvider(settings);
            var error = await Assert.ThrowsAsync<SandboxImageBuildException>(() => provider.GetRequiredService<ISandboxService>().BuildImagesAsync(cancellationToken: docker.Token));
            Assert.Equal("a-rooted", error.Image);
            Assert.Contains("needs root", error.Message, StringComparison.Ordinal);
            var plain = await client.Images.InspectImageAsync("agent-sandbox-test/b-plain:latest", docker.Token);
            Assert.Equal(64, plain.Config!.Labels![SandboxLabels.ContextHash].Length);
        }
        finally
        {
            try
            {
                await client.Images.DeleteImageAsync("agent-sandbox-test/b-plain:latest", new ImageDeleteParameters { Force = true }, CancellationToken.None);
            }
            catch (Docker.DotNet.DockerImageNotFoundException)
            {
            }

            images.Delete(recursive: true);
        }
    }

    /// <summary>Proves the image carries the hash of its build context and is rebuilt only when that context changes.</summary>
    [Fact]
    public async Task BuildImagesAsync_ContextHashLabel_RebuildsOnlyOnChange()
    {
        var images = Directory.CreateTempSubdirectory("agent-sandbox-images-");
        try
        {
            var dir = Path.Combine(images.FullName, "tiny");
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, "Dockerfile"), "FROM scratch\nCOPY note.txt /note.txt\n", docker.Token);
            await File.WriteAllTextAsync(Path.Combine(dir, "note.txt"), "one", docker.Token);
            var settings = new Dictionary<string, string?>(DockerFixture.Settings()) { ["Sandbox:ImagesDirectory"] = images.FullName, ["Sandbox:Image"] = "tiny", ["Sandbox:ImageRepositoryPrefix"] = "agent-sandbox-test" };
            var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
            string first = "";
            try
            {
                await using (var provider = DockerFixture.BuildProvider(settings))
                {
                    await provider.GetRequiredService<ISandboxService>().BuildImagesAsync(cancellationToken: docker.Token);
                    first = (await client.Images.InspectImageAsync("agent-sandbox-test/tiny:latest", docker.Token)).ID;
                    await provider.GetRequiredService<ISandboxService>().BuildImagesAsync(cancellationToken: docker.Token);
                    Assert.Equal(first, (await client.Images.InspectImageAsync("agent-sandbox-test/tiny:latest", docker.Token)).ID);
                }

                await File.WriteAllTextAsync(Path.Combine(dir, "note.txt"), "two", docker.Token);
                await using (var provider = DockerFixture.BuildProvider(settings))
                {
                    await provider.GetRequiredService<ISandboxService>().BuildImagesAsync(cancellationToken: docker.Token);
                }

                var second = await client.Images.InspectImageAsync("agent-sandbox-test/tiny:latest", docker.Token);
                Assert.NotEqual(first, second.ID);
                Assert.Equal(64, second.Config!.Labels![SandboxLabels.ContextHash].Length);
            }
            finally
            {
                await client.Images.DeleteImageAsync("agent-sandbox-test/tiny:latest", new ImageDeleteParameters { Force = true }, CancellationToken.None);
                if (first.Length > 0)
                {
                    await client.Images.DeleteImageAsync(first, new ImageDeleteParameters { Force = true }, CancellationToken.None);
                }
            }
        }
        finally
        {
            images.Delete(recursive: true);
        }
    }

    /// <summary>An owner label of this host in the format this build writes, whose process does not exist.</summary>
    private static string DeadOwner()
    {
        var parts = SandboxLabels.CurrentProcess.Split('/');
        parts[1] = (int.MaxValue - 11).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Join('/', parts) + "/deadbeef0000";
    }

    private async Task<IList<ContainerListResponse>> ContainersOfAsync(string owner)
    {
        var client = await docker.Implementation.Engine.ClientAsync(docker.Token);
        return await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = SandboxLabels.MarkerFilter(owner: owner) }, docker.Token);
    }

    /// <summary>Test cleanup: removes what a test's other process left (only containers with its owner label).</summary>
    private async Task RemoveContainersOfAsync(string owner)
    {
        var client = await docker.Implementation.Engine.ClientAsync(CancellationToken.None);
        foreach (var container in await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = SandboxLabels.MarkerFilter(owner: owner) }, CancellationToken.None))
        {
            await client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, CancellationToken.None);
        }
    }
}
