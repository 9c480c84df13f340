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

    public static async Task<(RunRecord Run, ActionLogEntry Entry)> PrepareAsync(IRunStore store, string task, string command)
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
        var hash = CallBinding.Hash(call.Name, call.ArgumentsJson);
        var step = new StepRecord
        {
            RunId = queued.Id, Step = 1, Kind = StepKind.Call, ModelLine = call.ToString(), Tool = call.Name, Arguments = call.ArgumentsJson, ArgumentsHash = hash,
            Decision = Decision.Escalate, Rule = rule, DecidedBy = "policy", Status = StepStatus.Pending, Temptation = tags.ToDictionary(t => t, t => trace.Aggregate(t)),
            Tokens = trace.Entries.Length, CreatedAt = DateTimeOffset.UtcNow,
        };
        var entry = await store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = queued.Id, Step = 1, Tool = call.Name, Arguments = call.ArgumentsJson, ArgumentsHash = hash, Decision = Decision.Escalate, Rule = rule,
                PolicyVersion = "test", Model = "tiny-test-model", Temptation = step.Temptation, Trace = ActionTrace.From(trace), ReviewStatus = "pending",
            },
            step);
        var parked = queued with { Status = RunStatus.Parked, Steps = 1, Tokens = step.Tokens, Reason = $"waiting for a person to decide approval {entry.Id} ({rule})" };
        await store.UpdateRunAsync(parked);
        return (parked, entry);
    }
}
