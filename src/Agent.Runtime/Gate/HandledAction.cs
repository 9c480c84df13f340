using Agent.Runtime.Execution;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Gate;

/// <summary>
/// What became of a <see cref="ProposedAction"/>: the gate's decision and the step as it now stands in the journal
/// (blocked, pending, completed or failed, with the result the model is shown), and the failure that stopped it when
/// the sandbox itself broke.
/// </summary>
/// <param name="Decision">The gate's decision.</param>
/// <param name="Step">The step as journaled.</param>
internal sealed record HandledAction(GateDecision Decision, StepRecord Step)
{
    /// <summary>The sandbox failure that stopped the action and fails the run (container died, Docker unavailable); null otherwise.</summary>
    public ToolExecutionException? Failure { get; init; }
}
