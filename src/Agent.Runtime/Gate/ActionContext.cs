using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Gate;

/// <summary>
/// The action being decided, handed from the loop to the gate filter through <c>Kernel.Data</c> (one kernel per run,
/// one action at a time), and what the filter did with it.
/// </summary>
internal sealed class ActionContext
{
    public const string Key = "agent.action";

    public required RunRecord Run { get; init; }

    public required StepRecord Step { get; set; }

    public required ToolCall Call { get; init; }

    /// <summary>Both signals, computed once where the step was made (or read back from the journal on resume).</summary>
    public required GateSignals Signals { get; init; }

    /// <summary>The step's per-token trace, for the log entry; null when the step is resumed from the journal.</summary>
    public TemptationTrace? Trace { get; init; }

    /// <summary>An approved log entry: the action runs when (and only when) it is bound to exactly this call.</summary>
    public ActionLogEntry? Approval { get; init; }

    public GateDecision? Decision { get; set; }

    public ToolOutcome? Outcome { get; set; }

    /// <summary>The infrastructure failure that stopped the action (sandbox died, Docker unavailable).</summary>
    public Exception? Failure { get; set; }

    /// <summary>The gate's view of this action.</summary>
    public GateRequest Request => new(Call.Name, Call.ArgumentsJson, Signals, Approval);
}
