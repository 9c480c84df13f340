using System.Diagnostics;
using Agent.Decoding.Transcripts;
using Agent.Runtime;
using Agent.Runtime.Storage;
using Agent.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Host.Tests;

/// <summary>
/// The service's worker (<see cref="RunWorker"/>) in the executable's own composition, with a real SQLite file, real
/// Docker sandboxes and scripted lines scored by the real decoder: what happens when a sandbox dies under a run, and
/// when the host stops between two steps of a run (its workspace is saved and comes back after the restart).
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class RunWorkerTests
{
    private static string Shell(string command) => ToolCall.Shell(command).ToString();

    [Fact]
    public async Task ExecuteAsync_SandboxKilledBetweenSteps_FailsThatRunWithReasonAndServesTheNext()
    {
        var settings = TestSettings.Create(edit: json => json["Agent"]!["MaxSteps"] = 8);
        using var tiny = new TinyDecoder(new TinyModelSpec());
        var source = new ScriptedStepSource(tiny);
        source.Script("Task A whose sandbox dies", Shell("echo one"), Shell("echo two"), "answer never");
        source.Script("Task B after it", Shell("echo b"), "answer b done");
        string runA = string.Empty;
        source.BeforeStep = async (task, step, _) =>
        {
            if (task.StartsWith("Task A", StringComparison.Ordinal) && step == 2)
            {
                await DockerAsync("kill", await DockerAsync("ps", "-q", "--filter", $"label=agent.sandbox.run={runA}"));
            }
        };
        using var host = await StartWorkerAsync(settings, source, async store =>
        {
            runA = (await store.EnqueueAsync("Task A whose sandbox dies", source.ModelName)).Id;
            return [runA, (await store.EnqueueAsync("Task B after it", source.ModelName)).Id];
        });
        var store = host.Services.GetRequiredService<IRunStore>();
        var runB = (await store.ListRunsAsync()).Single(r => r.Task == "Task B after it").Id;

        var a = await WaitTerminalAsync(store, runA);
        var b = await WaitTerminalAsync(store, runB);

        Assert.Equal(RunStatus.Failed, a.Status);
        Assert.StartsWith("the sandbox failed: ", a.Reason, StringComparison.Ordinal);
        Assert.Contains("is not running: exited, exit code 137", a.Reason, StringComparison.Ordinal);
        var stepsA = await store.GetStepsAsync(runA);
        Assert.Equal([StepStatus.Completed, StepStatus.Failed], stepsA.Select(s => s.Status));
        Assert.Equal(2, a.Steps);
        Assert.Equal(RunStatus.Completed, b.Status);
        Assert.Equal("b done", b.FinalAnswer);
        Assert.Equal("b", (await store.GetStepsAsync(runB))[0].Result!.Stdout.Trim());
        await host.StopAsync();
    }

    [Fact]
    public async Task StopAsync_RunBetweenSteps_RequeuesItAndARestartedWorkerFinishesItWithItsWorkspace()
    {
        var settings = TestSettings.Create(edit: json => json["Agent"]!["MaxSteps"] = 8);
        using var tiny = new TinyDecoder(new TinyModelSpec());
        const string StopTask = "Write one and stop";
        var first = new ScriptedStepSource(tiny);
        first.Script(StopTask, Shell("echo one > one.txt && echo one"));
        var betweenSteps = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.BeforeStep = async (_, step, cancellationToken) =>
        {
            if (step == 2)
            {
                betweenSteps.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken); // the model "thinks" until the host stops
            }
        };
        string runId = string.Empty;
        string archive;
        using (var host = await StartWorkerAsync(settings, first, async store => [runId = (await store.EnqueueAsync(StopTask, first.ModelName)).Id]))
        {
            await betweenSteps.Task.WaitAsync(TimeSpan.FromSeconds(60));

            await host.StopAsync();

            var store = host.Services.GetRequiredService<IRunStore>();
            var stopped = (await store.GetRunAsync(runId))!;
            Assert.Equal(RunStatus.Queued, stopped.Status);
            Assert.Null(stopped.LeaseOwner);
            Assert.Contains("shut down", stopped.Reason, StringComparison.Ordinal);
            Assert.Equal([StepStatus.Completed], (await store.GetStepsAsync(runId)).Select(s => s.Status));
            archive = host.Services.GetRequiredService<IRunWorkspaces>().ArchivePath(runId);
            Assert.Equal(Path.Combine(settings.Folder, "workspaces", runId + ".tar"), archive);
            Assert.True(File.Exists(archive), "the stopping host should save the unfinished run's workspace");
            Assert.Empty(await DockerPsAsync($"label=agent.sandbox.run={runId}"));
        }

        var second = new ScriptedStepSource(tiny);
        second.Script(StopTask, Shell("cat one.txt"), "answer finished");
        using var restarted = await StartWorkerAsync(settings, second, _ => Task.FromResult<string[]>([]));
        var restartedStore = restarted.Services.GetRequiredService<IRunStore>();

        var run = await WaitTerminalAsync(restartedStore, runId);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("finished", run.FinalAnswer);
        Assert.Equal(2, await restartedStore.CountExecutionsAsync(runId));
        Assert.Contains("result shell.run exit=0\n| one\n", second.Prompts.First(), StringComparison.Ordinal);
        var restoredRead = (await restartedStore.GetStepsAsync(runId))[1];
        Assert.Equal(0, restoredRead.Result!.ExitCode);
        Assert.Equal("one", restoredRead.Result.Stdout.Trim());
        Assert.False(File.Exists(archive), "the saved workspace should be deleted when the run completes");
        await restarted.StopAsync();
    }

    /// <summary>The worker as agent serve composes it (without the HTTP API), over <paramref name="source"/>; <paramref name="prepare"/> fills the store before the worker starts.</summary>
    private static async Task<IHost> StartWorkerAsync(TestSettings settings, IAgentStepSource source, Func<IRunStore, Task<string[]>> prepare)
    {
        var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
        AgentHost.AddRuntime(builder);
        builder.Services.AddSingleton(source);
        builder.Services.AddHostedService<RunWorker>();
        var host = builder.Build();
        AgentHost.ValidateRuntimeOptions(host.Services);
        var store = host.Services.GetRequiredService<IRunStore>();
        await store.InitializeAsync();
        await prepare(store);
        await host.StartAsync();
        return host;
    }

    private static async Task<RunRecord> WaitTerminalAsync(IRunStore store, string runId)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            var run = (await store.GetRunAsync(runId))!;
            if (run.IsTerminal)
            {
                return run;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"run {runId} did not end in 90 s: {await store.GetRunAsync(runId)}");
        return null!;
    }

    /// <summary>Ids of the containers (running or not) that match a docker ps filter.</summary>
    private static async Task<string[]> DockerPsAsync(string filter)
    {
        using var docker = Process.Start(new ProcessStartInfo("docker", ["ps", "-aq", "--filter", filter]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = await docker.StandardOutput.ReadToEndAsync();
        await docker.WaitForExitAsync();
        Assert.Equal(0, docker.ExitCode);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task<string> DockerAsync(params string[] args)
    {
        using var docker = Process.Start(new ProcessStartInfo("docker", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = await docker.StandardOutput.ReadToEndAsync();
        var stderr = await docker.StandardError.ReadToEndAsync();
        await docker.WaitForExitAsync();
        Assert.True(docker.ExitCode == 0 && stdout.Trim().Length > 0, $"docker {string.Join(' ', args)}: exit {docker.ExitCode} {stdout} {stderr}");
        return stdout.Trim();
    }
}
