using Agent.Runtime.Execution;
using Agent.Runtime.Gate;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Tests.Execution;

/// <summary>The executor on its own: a real SQLite journal and a tool that is a delegate; no kernel, Docker or model.</summary>
public sealed class ToolExecutorTests
{
    private static async Task<(IRunStore Store, HandledAction Allowed)> SetUpAsync()
    {
        var store = new SqliteRunStore(new StorageOptions { DatabasePath = Path.Combine(RuntimeHarness.NewFolder(), "agent.db") });
        await store.InitializeAsync();
        var run = await store.EnqueueAsync("tidy the workspace", "m");
        var step = new StepRecord
        {
            RunId = run.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Proposed, Tool = "shell.run", Arguments = """{"command":"ls"}""",
            ArgumentsHash = CallBinding.Hash("shell.run", """{"command":"ls"}"""), Decision = Decision.Allow, Rule = "tool:shell.run:below-thresholds", DecidedBy = "policy",
        };
        await store.SaveStepAsync(step);
        return (store, new HandledAction(new GateDecision(Decision.Allow, step.Rule, "v"), step));
    }

    [Fact]
    public async Task ExecuteAsync_ToolRuns_JournalsStartedThenCompleted()
    {
        var (store, allowed) = await SetUpAsync();
        StepStatus? during = null;

        var done = await new ToolExecutor(store, 4000).ExecuteAsync(allowed, async () =>
        {
            during = (await store.GetStepsAsync(allowed.Step.RunId))[0].Status;
            return new ToolOutcome(0, "a\nb\n", string.Empty, false);
        });

        Assert.Equal(StepStatus.Started, during);
        Assert.Equal((StepStatus.Completed, "a\nb\n"), (done.Step.Status, done.Step.Result!.Stdout));
        Assert.Equal(StepStatus.Completed, Assert.Single(await store.GetStepsAsync(allowed.Step.RunId)).Status);
        Assert.Equal(1, await store.CountExecutionsAsync(allowed.Step.RunId, 1));
        Assert.Null(done.Failure);
    }

    [Fact]
    public async Task ExecuteAsync_Timeout_ShowsPartialOutputThenTheReasonAsExit124()
    {
        var (store, allowed) = await SetUpAsync();

        var done = await new ToolExecutor(store, 4000).ExecuteAsync(allowed, () =>
            throw new ToolExecutionException(ToolFailure.Timeout, "timed out after 2 s", new ToolOutcome(-1, "before-the-timeout\n", "warming up", false)));

        Assert.Equal((StepStatus.Completed, 124, "before-the-timeout\n", "warming up\ntimed out after 2 s"), (done.Step.Status, done.Step.Result!.ExitCode, done.Step.Result.Stdout, done.Step.Result.Stderr));
        Assert.Null(done.Failure);
    }

    [Fact]
    public async Task ExecuteAsync_PathRefused_IsExit1AndTheRunGoesOn()
    {
        var (store, allowed) = await SetUpAsync();

        var done = await new ToolExecutor(store, 4000).ExecuteAsync(allowed, () => throw new Agent.Sandbox.SandboxPathException("/etc/shadow", "outside the workspace"));

        Assert.Equal((StepStatus.Completed, 1), (done.Step.Status, done.Step.Result!.ExitCode));
        Assert.Contains("outside the workspace", done.Step.Result.Stderr, StringComparison.Ordinal);
        Assert.Null(done.Failure);
    }

    [Fact]
    public async Task ExecuteAsync_SandboxBroke_FailsTheStepAndReportsTheFailure()
    {
        var (store, allowed) = await SetUpAsync();

        var done = await new ToolExecutor(store, 4000).ExecuteAsync(allowed, () => throw ToolExecutionException.From(new Agent.Sandbox.SandboxContainerDiedException("c0ffee", "oom-killed"))!);

        Assert.Equal((StepStatus.Failed, ToolFailure.ContainerDied), (done.Step.Status, done.Failure!.Reason));
        Assert.Equal(StepStatus.Failed, Assert.Single(await store.GetStepsAsync(allowed.Step.RunId)).Status);
    }

    [Fact]
    public async Task ExecuteAsync_UnexpectedException_PropagatesAndLeavesTheStepStarted()
    {
        var (store, allowed) = await SetUpAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => new ToolExecutor(store, 4000).ExecuteAsync(allowed, () => throw new InvalidOperationException("bug")));

        // Started and never completed: on resume the loop reports it as interrupted and does not run it again.
        Assert.Equal(StepStatus.Started, Assert.Single(await store.GetStepsAsync(allowed.Step.RunId)).Status);
    }
}
