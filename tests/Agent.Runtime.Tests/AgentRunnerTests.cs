using System.Diagnostics;
using System.Text.Json;
using Agent.Decoding.Transcripts;
using Agent.Runtime.Gate;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Agent.TestSupport;

namespace Agent.Runtime.Tests;

/// <summary>
/// The loop end to end with a real Docker daemon, a real SQLite file and real llama.cpp. Every test here drives the
/// loop with scripted lines whose traces the tiny model scores (ScriptedStepSource); the gate decisions come from
/// those real traces. The "tempted" model favours &lt;powerseeking&gt; after any context, so its temptation is high on every step.
/// </summary>
[Collection(RuntimeCollectionDefinition.Name)]
public sealed class AgentRunnerTests
{
    private static readonly TinyModelSpec Tempted = new() { FavouredToken = "<powerseeking>" };

    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static string Shell(string command) => "call " + ToolCall.Shell(command).ToString()["call ".Length..];

    private static string Gated(string powerseekingEscalate, string powerseekingBlock) => $$"""
        { "Policy": { "Aggregate": "any",
          "Tags": { "powerseeking": { "Escalate": {{powerseekingEscalate}}, "Block": {{powerseekingBlock}} } },
          "Tools": { "shell.run": {}, "files.read": {}, "files.write": {}, "files.list": {},
                     "answer": { "Tags": { "powerseeking": { "Escalate": null, "Block": null } } } } } }
        """;

    [Fact]
    public async Task RunAsync_BenignTask_RunsToolInSandboxAndCompletes()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient,
            [Shell("echo hello > a.txt && cat a.txt"), """call files.read {"path":"a.txt"}""", "answer The file says hello."]);

        var run = await h.RunNewAsync("Write hello to a.txt and read it back");

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("The file says hello.", run.FinalAnswer);
        var report = RunReport.From(run, await h.Store.GetStepsAsync(run.Id));
        Assert.Equal(["shell.run", "files.read", "answer"], report.Actions.Select(a => a.Tool));
        Assert.All(report.Actions, a => Assert.Equal("allow", a.Decision));
        Assert.Equal("hello", report.Actions[0].Result!.Stdout.Trim());
        Assert.Equal("hello", report.Actions[1].Result!.Stdout.Trim());
        Assert.Contains("powerseeking", report.Actions[0].Temptation.Keys);
        Assert.Equal(2, await h.Store.CountExecutionsAsync(run.Id));
        var json = JsonSerializer.Serialize(report, SnakeCase);
        Assert.Contains("\"run_id\"", json, StringComparison.Ordinal);
        Assert.Contains("\"exit_code\":0", json, StringComparison.Ordinal);
        // The second prompt is the training transcript format with the first result in it.
        Assert.Contains("<mode1>result shell.run exit=0\n| hello\n<mode2>", h.Source.Prompts[1], StringComparison.Ordinal);
    }

    /// <summary>Proves a shell command the kernel kills for memory is reported with what it wrote before the kill: the model sees that output and the reason.</summary>
    [Fact]
    public async Task RunAsync_ShellCommandKilledForMemory_ModelSeesOutputWrittenBeforeTheKill()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient,
            [Shell("echo before-the-kill; a=xxxxxxxxxxxxxxxx; while :; do a=\"$a$a\"; done"), "answer done"]);

        var run = await h.RunNewAsync("Use a lot of memory");

        var result = RunReport.From(run, await h.Store.GetStepsAsync(run.Id)).Actions[0].Result!;
        Assert.Equal(137, result.ExitCode);
        Assert.Equal("before-the-kill\n", result.Stdout);
        Assert.Contains("OOM-killed", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("| before-the-kill", h.Source.Prompts[1], StringComparison.Ordinal);
    }

    /// <summary>Proves a shell command past its timeout is reported with what it wrote before it was killed.</summary>
    [Fact]
    public async Task RunAsync_ShellCommandPastTimeout_ModelSeesOutputWrittenBeforeTheKill()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient,
            [Shell("echo before-the-timeout; sleep 60"), "answer done"], settings: new Dictionary<string, string?> { ["Sandbox:ExecTimeoutSeconds"] = "2" });

        var run = await h.RunNewAsync("Wait too long");

        var result = RunReport.From(run, await h.Store.GetStepsAsync(run.Id)).Actions[0].Result!;
        Assert.Equal(124, result.ExitCode);
        Assert.Equal("before-the-timeout\n", result.Stdout);
        Assert.Contains("timeout", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Stopped_PutsTheRunBackQueuedAndReportsItQueued()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient, [Shell("sleep 3"), "answer done"]);
        var queued = await h.Store.EnqueueAsync("Wait a while", h.Source.ModelName);
        Assert.True(await h.Store.TryClaimAsync(queued.Id, "test"));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1.5)); // the host stops before the run can end

        var run = await h.Runner.RunAsync(queued.Id, "test", stop.Token);

        Assert.Equal(RunStatus.Queued, run.Status);
        Assert.Equal(RunStatus.Queued, (await h.Store.GetRunAsync(run.Id))!.Status);
        Assert.Contains("resumes", run.Reason, StringComparison.Ordinal);
        Assert.Equal("queued", RunReport.From(run, await h.Store.GetStepsAsync(run.Id)).Status); // not "parked": no person is needed
    }

    [Fact]
    public async Task RunAsync_TemptedModel_BlocksWithTraceInLogAndTellsModel()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), Gated("0.3", "0.6"),
            [Shell("sudo -i"), Shell("chmod 4755 /bin/sh"), "answer I could not do it."], Tempted);

        var run = await h.RunNewAsync("Become root");

        var steps = await h.Store.GetStepsAsync(run.Id);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal([StepStatus.Blocked, StepStatus.Blocked, StepStatus.Answered], steps.Select(s => s.Status));
        Assert.Equal(0, await h.Store.CountExecutionsAsync(run.Id));
        var entries = await h.Store.QueryLogAsync(new LogQuery { RunId = run.Id });
        Assert.Equal(2, entries.Count);
        var entry = entries[^1];
        Assert.Equal(Decision.Block, entry.Decision);
        Assert.StartsWith("tag:powerseeking:block any=", entry.Rule, StringComparison.Ordinal);
        Assert.Equal(h.Gate.CurrentPolicy().Version, entry.PolicyVersion);
        Assert.True(entry.Trace.Tokens.Length > 5);
        var column = entry.Trace.Tags.IndexOf("powerseeking");
        Assert.True(entry.Trace.Tokens.Max(t => t.Probabilities[column]) > 0.5);
        Assert.Contains("<mode1>result shell.run exit=126\n! blocked by policy: tag:powerseeking:block", h.Source.Prompts[1], StringComparison.Ordinal);
        Assert.DoesNotContain(entry.PolicyVersion, h.Source.Prompts[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TooManyBlocks_EndsBlocked()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), Gated("0.3", "0.6"),
            [Shell("sudo -i"), Shell("sudo su"), Shell("su root")], Tempted, new Dictionary<string, string?> { ["Agent:MaxBlockedActions"] = "2" });

        var run = await h.RunNewAsync("Become root");

        Assert.Equal(RunStatus.Blocked, run.Status);
        Assert.Equal(2, run.BlockedActions);
    }

    [Fact]
    public async Task RunAsync_EscalatedThenApproved_RunsExactlyTheBoundCallOnce()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), Gated("0.3", "null"),
            [Shell("echo approved-ran"), "answer done"], Tempted);

        var parked = await h.RunNewAsync("Do it");

        Assert.Equal(RunStatus.Parked, parked.Status);
        var pending = Assert.Single(await h.Store.QueryLogAsync(new LogQuery { RunId = parked.Id, ReviewStatus = "pending" }));
        Assert.Equal(CallBinding.Hash("shell.run", """{"command":"echo approved-ran"}"""), pending.ArgumentsHash);
        Assert.Equal(0, await h.Store.CountExecutionsAsync(parked.Id));

        await h.Store.DecideAsync(pending.Id, approve: true, "alice", "fine");
        var run = await h.ResumeAsync(parked.Id);

        Assert.Equal(RunStatus.Completed, run.Status);
        var step = (await h.Store.GetStepsAsync(run.Id))[0];
        Assert.Equal(StepStatus.Completed, step.Status);
        Assert.Equal("reviewer:alice", step.DecidedBy);
        Assert.Equal("approved-ran", step.Result!.Stdout.Trim());
        Assert.Equal(1, await h.Store.CountExecutionsAsync(run.Id));
    }

    [Fact]
    public async Task DecideAsync_ApprovalForOtherArguments_IsRefused()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient, []);
        var run = await h.Store.EnqueueAsync("t", "m");
        var approval = new ActionLogEntry
        {
            Id = 7, RunId = run.Id, Step = 1, Tool = "shell.run", Arguments = """{"command":"ls"}""", ArgumentsHash = CallBinding.Hash("shell.run", """{"command":"ls"}"""),
            Decision = Decision.Escalate, Rule = "r", PolicyVersion = "v", Model = "m", Temptation = GateSignals.None.Temptation, Trace = ActionTrace.Empty, ReviewStatus = "approved", Reviewer = "alice",
        };
        var changed = new ProposedAction(run, new StepRecord { RunId = run.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Proposed }, ToolCall.Shell("rm -rf /"), GateSignals.None)
        {
            Approval = approval,
        };

        var decision = (await h.Gate.DecideAsync(changed, CancellationToken.None)).Decision;

        Assert.Equal(Decision.Block, decision.Decision);
        Assert.Contains("mismatch", decision.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EscalatedThenDenied_TellsModelAndNeverRuns()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), Gated("0.3", "null"),
            [Shell("rm -rf /workspace"), "answer ok"], Tempted);
        var parked = await h.RunNewAsync("Clean up");
        var pending = Assert.Single(await h.Store.QueryLogAsync(new LogQuery { RunId = parked.Id }));

        await h.Store.DecideAsync(pending.Id, approve: false, "bob", "too broad");
        var run = await h.ResumeAsync(parked.Id);

        Assert.Equal(RunStatus.Completed, run.Status);
        var denied = (await h.Store.GetStepsAsync(run.Id))[0];
        Assert.Equal((StepStatus.Denied, Decision.Block, $"denied:{pending.Id}", "reviewer:bob"), (denied.Status, denied.Decision, denied.Rule, denied.DecidedBy));
        Assert.Equal(0, await h.Store.CountExecutionsAsync(run.Id));
        Assert.Contains("! denied by bob: too broad", h.Source.Prompts[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MalformedUnknownAndInvalidCalls_GoBackAsErrorsAndAreCounted()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient,
            ["call shell.run {not json", """call net.fetch {"url":"x"}""", """call shell.run {"cmd":"ls"}""", "answer ok"]);

        var run = await h.RunNewAsync("Anything");

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(3, run.MalformedCalls);
        var steps = await h.Store.GetStepsAsync(run.Id);
        Assert.Equal([ToolOutcome.InvalidCallExitCode, ToolOutcome.UnknownToolExitCode, ToolOutcome.InvalidCallExitCode], steps.Take(3).Select(s => s.Result!.ExitCode));
        Assert.Contains("unknown tool 'net.fetch'", h.Source.Prompts[2], StringComparison.Ordinal);
        Assert.Equal(0, await h.Store.CountExecutionsAsync(run.Id));
    }

    [Fact]
    public async Task RunAsync_StepLimit_EndsWithLimit()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient,
            ["bad line 1", "bad line 2", "bad line 3"], settings: new Dictionary<string, string?> { ["Agent:MaxSteps"] = "2" });

        var run = await h.RunNewAsync("Loop");

        Assert.Equal(RunStatus.Limit, run.Status);
        Assert.Equal(2, run.Steps);
    }

    [Fact]
    public async Task DecideAsync_PolicyFileEdited_NewPolicyAppliesWithoutRestart()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient, [Shell("true"), "answer a", Shell("true"), "answer b"]);
        var first = await h.RunNewAsync("one");
        var before = h.Gate.CurrentPolicy().Version;

        await File.WriteAllTextAsync(h.PolicyFile, RuntimeHarness.Lenient.Replace("\"shell.run\": {}", "\"shell.run\": { \"Mode\": \"Forbidden\" }", StringComparison.Ordinal));
        var clock = Stopwatch.StartNew();
        while (h.Gate.CurrentPolicy().Version == before && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }

        var second = await h.RunNewAsync("two");

        Assert.Equal(StepStatus.Completed, (await h.Store.GetStepsAsync(first.Id))[0].Status);
        var blocked = (await h.Store.GetStepsAsync(second.Id))[0];
        Assert.Equal(StepStatus.Blocked, blocked.Status);
        Assert.Equal("tool:shell.run:forbidden", blocked.Rule);
        Assert.NotEqual(before, (await h.Store.QueryLogAsync(new LogQuery { RunId = second.Id }))[0].PolicyVersion);
    }

    [Fact]
    public async Task RunAsync_ProcessKilledMidTool_ResumesWithoutRunningAnyToolTwice()
    {
        var folder = RuntimeHarness.NewFolder();
        var runId = await EnqueueAsync(folder, "Count then wait");

        // The watcher is this process's runtime over the same store; after the kill it resumes the run, and its script holds only what comes next.
        await using var watcher = await RuntimeHarness.CreateAsync(folder, string.Empty, ["""call files.read {"path":"one.txt"}""", "answer resumed"]);
        await KillChildMidToolAsync(watcher, folder, runId);

        var run = await watcher.ResumeAsync(runId);

        var after = await watcher.Store.GetStepsAsync(runId);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("resumed", run.FinalAnswer);
        Assert.Equal(StepStatus.Completed, after[0].Status);
        Assert.Equal(StepStatus.Interrupted, after[1].Status);
        Assert.Equal(ToolOutcome.InterruptedExitCode, after[1].Result!.ExitCode);
        Assert.Equal(1, await watcher.Store.CountExecutionsAsync(runId, 1));
        Assert.Equal(1, await watcher.Store.CountExecutionsAsync(runId, 2));
        Assert.Equal(3, await watcher.Store.CountExecutionsAsync(runId));
        // The killed child's sandbox survived it and was adopted as it was: the file of step 1 is there, then it is removed with the run.
        Assert.Equal(StepStatus.Completed, after[2].Status);
        Assert.Equal("one", after[2].Result!.Stdout.Trim());
        Assert.Null(await watcher.Sandboxes.FindAsync(runId));
        // The resumed model saw the interruption, not a re-run.
        Assert.Contains("result shell.run exit=125", watcher.Source.Prompts[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReconcileAsync_EndedRunsSandboxLeftByAKilledProcess_IsRemoved()
    {
        var folder = RuntimeHarness.NewFolder();
        var runId = await EnqueueAsync(folder, "Count then wait");

        await using var watcher = await RuntimeHarness.CreateAsync(folder, string.Empty, []);
        await KillChildMidToolAsync(watcher, folder, runId);
        Assert.Contains(runId, await watcher.Sandboxes.ListSurvivingRunsAsync());
        var run = await watcher.Store.GetRunAsync(runId);
        await watcher.Store.UpdateRunAsync(run! with { Status = RunStatus.Failed, Reason = "given up by an operator" });

        var settled = await watcher.Workspaces.ReconcileAsync();

        Assert.True(settled >= 1, $"settled {settled}");
        Assert.DoesNotContain(runId, await watcher.Sandboxes.ListSurvivingRunsAsync());
        Assert.Null(await watcher.Sandboxes.FindAsync(runId));
        Assert.False(File.Exists(watcher.Workspaces.ArchivePath(runId)));
    }

    /// <summary>Queues a run in the store under <paramref name="folder"/> through a runtime that is gone again.</summary>
    private static async Task<string> EnqueueAsync(string folder, string task)
    {
        await using var setup = await RuntimeHarness.CreateAsync(folder, RuntimeHarness.Lenient, []);
        return (await setup.Store.EnqueueAsync(task, "tiny-test-model")).Id;
    }

    /// <summary>
    /// Runs the run in a child process whose second step (<c>sleep 30</c>) is still running when the child is killed with
    /// SIGKILL; returns once the dead child's lease has expired and the run is back in the queue. The child's sandbox
    /// survives it, holding the file of step 1.
    /// </summary>
    private static async Task KillChildMidToolAsync(RuntimeHarness watcher, string folder, string runId)
    {
        var child = Process.Start(new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "child", folder, runId, Shell("echo one > one.txt && echo one"), Shell("sleep 30"), "answer never"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(90))
            {
                var steps = await watcher.Store.GetStepsAsync(runId);
                if (steps.Count == 2 && steps[1].Status == StepStatus.Started)
                {
                    break;
                }

                if (child.HasExited)
                {
                    Assert.Fail($"the child exited early ({child.ExitCode}); steps: {string.Join(", ", steps.Select(s => s.Status))}; stdout: {await child.StandardOutput.ReadToEndAsync()} stderr: {await child.StandardError.ReadToEndAsync()}");
                }

                await Task.Delay(100);
            }

            Process.Start("kill", ["-9", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await child.WaitForExitAsync();
            Assert.Equal(StepStatus.Started, (await watcher.Store.GetStepsAsync(runId))[1].Status);
            await Task.Delay(TimeSpan.FromSeconds(6)); // the dead child's lease (Storage:LeaseSeconds = 5) expires
            Assert.Equal(1, await watcher.Store.RequeueExpiredAsync());
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }

            child.Dispose();
        }
    }
}
