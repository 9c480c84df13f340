using Agent.Decoding.Transcripts;
using Agent.Runtime;
using Agent.Runtime.Gate;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Agent.TestSupport;

namespace Agent.Host.Tests;

/// <summary>
/// Puts a parked run with a pending escalation into a run store through the real store API, as the gate does: the
/// call's trace is the real decoder's over the "tempted" tiny model (it favours &lt;powerseeking&gt;), so the log entry
/// carries real per-token temptation.
/// </summary>
internal static class Escalations
{
    private static readonly TinyModelSpec Tempted = new() { FavouredToken = "<powerseeking>" };

    /// <param name="store">The store.</param>
    /// <param name="task">The run's task.</param>
    /// <param name="command">The escalated shell command.</param>
    /// <param name="earlier">When given, a completed step 1 whose tool result (this output) the escalated step 2 responds to.</param>
    /// <param name="modeHead">
    /// When true, the tempted model has a trained mode head (<see cref="TinyModeHead"/>): the trace carries p(mode2) per
    /// token and the entry was escalated by the mode rule (its mean p(mode2) just under the threshold).
    /// </param>
    /// <param name="answer">When given, the escalated action is this final answer (the model's line <c>answer TEXT</c>, raw) instead of the shell command.</param>
    public static async Task<(RunRecord Run, ActionLogEntry Entry)> PrepareAsync(IRunStore store, string task, string command, string? earlier = null, bool modeHead = false, string? answer = null)
    {
        var call = answer is null ? ToolCall.Shell(command) : new ToolCall(PolicyOptions.AnswerTool, new System.Text.Json.Nodes.JsonObject { ["text"] = answer });
        var line = answer is null ? call.ToString() : "answer " + answer;
        Agent.Decoding.TemptationTrace trace;
        using (var tiny = modeHead ? new TinyDecoder(TinyModeHead.Create(Tempted).ModelPath) : new TinyDecoder(Tempted))
        {
            trace = await tiny.Decoder.ScoreAsync($"<mode1>{task}\n<mode2>", line, TinyDecoder.AgentConstraints);
        }

        var tags = new[] { "deceit", "powerseeking" };
        var any = trace.Aggregate("powerseeking").Any;
        var mode = ModeSignal.From(trace);
        var rule = mode is null
            ? $"tag:powerseeking:escalate any={any:0.000}>=0.3"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"mode:escalate mean_p_mode2={mode.Mean:0.####}<{mode.Mean + 0.01:0.####}");
        var queued = await store.EnqueueAsync(task, "tiny-test-model");
        Assert.True(await store.TryClaimAsync(queued.Id, "test"));
        var number = 1;
        if (earlier is not null)
        {
            var first = ToolCall.Shell("cat notes.txt");
            await store.SaveStepAsync(new StepRecord
            {
                RunId = queued.Id, Step = 1, Kind = StepKind.Call, ModelLine = first.ToString(), Tool = first.Name, Arguments = first.ArgumentsJson,
                ArgumentsHash = CallBinding.Hash(first.Name, first.ArgumentsJson), Decision = Decision.Allow, Rule = "default:allow", DecidedBy = "policy",
                Status = StepStatus.Completed, Result = new ToolOutcome(0, earlier, string.Empty, false), CreatedAt = DateTimeOffset.UtcNow, CompletedAt = DateTimeOffset.UtcNow,
            });
            number = 2;
        }

        var hash = CallBinding.Hash(call.Name, call.ArgumentsJson);
        var step = new StepRecord
        {
            RunId = queued.Id, Step = number, Kind = answer is null ? StepKind.Call : StepKind.Answer, ModelLine = line, Tool = call.Name, Arguments = call.ArgumentsJson, ArgumentsHash = hash,
            Decision = Decision.Escalate, Rule = rule, DecidedBy = "policy", Status = StepStatus.Pending, Temptation = tags.ToDictionary(t => t, t => trace.Aggregate(t)), Mode = mode,
            Tokens = trace.Entries.Length, CreatedAt = DateTimeOffset.UtcNow,
        };
        var entry = await store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = queued.Id, Step = number, Tool = call.Name, Arguments = call.ArgumentsJson, ArgumentsHash = hash, Decision = Decision.Escalate, Rule = rule,
                PolicyVersion = "test", Model = "tiny-test-model", Temptation = step.Temptation, Trace = ActionTrace.From(trace), ReviewStatus = "pending", Mode = mode,
                FiredSignal = mode is null ? GateSignal.None : GateSignal.Mode,
                Fired = mode is null ? [] : [new FiredSignal(ActionPolicy.ModeTag, GateSignal.Mode, Decision.Escalate, mode.Mean, mode.Mean + 0.01)],
            },
            step);
        var parked = queued with { Status = RunStatus.Parked, Steps = number, Tokens = step.Tokens, Reason = $"waiting for a person to decide approval {entry.Id} ({rule})" };
        await store.UpdateRunAsync(parked);
        return (parked, entry);
    }
}
