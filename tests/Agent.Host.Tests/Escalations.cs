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
    public static async Task<(RunRecord Run, ActionLogEntry Entry)> PrepareAsync(IRunStore store, string task, string command, string? earlier = null)
    {
        var call = ToolCall.Shell(command);
        Agent.Decoding.TemptationTrace trace;
        using (var tiny = new TinyDecoder(Tempted))
        {
            trace = await tiny.Decoder.ScoreAsync($"<mode1>{task}\n<mode2>", call.ToString(), TinyDecoder.AgentConstraints);
        }

        var tags = new[] { "deceit", "powerseeking" };
        var any = trace.Aggregate("powerseeking").Any;
        var rule = $"tag:powerseeking:escalate any={any:0.000}>=0.3";
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
            RunId = queued.Id, Step = number, Kind = StepKind.Call, ModelLine = call.ToString(), Tool = call.Name, Arguments = call.ArgumentsJson, ArgumentsHash = hash,
            Decision = Decision.Escalate, Rule = rule, DecidedBy = "policy", Status = StepStatus.Pending, Temptation = tags.ToDictionary(t => t, t => trace.Aggregate(t)),
            Tokens = trace.Entries.Length, CreatedAt = DateTimeOffset.UtcNow,
        };
        var entry = await store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = queued.Id, Step = number, Tool = call.Name, Arguments = call.ArgumentsJson, ArgumentsHash = hash, Decision = Decision.Escalate, Rule = rule,
                PolicyVersion = "test", Model = "tiny-test-model", Temptation = step.Temptation, Trace = ActionTrace.From(trace), ReviewStatus = "pending",
            },
            step);
        var parked = queued with { Status = RunStatus.Parked, Steps = number, Tokens = step.Tokens, Reason = $"waiting for a person to decide approval {entry.Id} ({rule})" };
        await store.UpdateRunAsync(parked);
        return (parked, entry);
    }
}
