using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Gate;

/// <summary>
/// One action on its way to the gate: a tool call, or the final answer as the pseudo-tool <c>answer</c>, with the step
/// it is journaled as, both signals (computed once where the step was made, or read back from the journal on resume),
/// its per-token trace and the approval it runs under. An immutable value: what the gate and the executor do with it
/// comes back as a <see cref="HandledAction"/>, never as a change to this object.
/// </summary>
/// <param name="Run">The run the action belongs to.</param>
/// <param name="Step">The step as journaled so far (status <c>proposed</c>).</param>
/// <param name="Call">The call, canonical arguments (for an answer <c>answer {"text":...}</c>).</param>
/// <param name="Signals">The model's temptation and the classifier's probability per tag.</param>
internal sealed record ProposedAction(RunRecord Run, StepRecord Step, ToolCall Call, GateSignals Signals)
{
    /// <summary>The step's per-token trace, for the log entry; null when the step is resumed from the journal.</summary>
    public TemptationTrace? Trace { get; init; }

    /// <summary>An approved (or denied) log entry: the action runs when (and only when) it is bound to exactly this call.</summary>
    public ActionLogEntry? Approval { get; init; }

    /// <summary>The gate's view of this action.</summary>
    public GateRequest Request => new(Call.Name, Call.ArgumentsJson, Signals, Approval);
}
