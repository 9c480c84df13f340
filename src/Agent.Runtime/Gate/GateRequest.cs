using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Gate;

/// <summary>
/// What the gate decides: one action (a tool call, or the final answer as the pseudo-tool <c>answer</c>) with both
/// signals, and the approval it runs under when a person approved it.
/// </summary>
/// <param name="Tool">The tool, or <c>answer</c>.</param>
/// <param name="ArgumentsJson">The canonical JSON arguments (for an answer <c>{"text":...}</c>).</param>
/// <param name="Signals">The model's temptation and the classifier's probability per tag.</param>
/// <param name="Approval">An approved (or denied) log entry this action resumes under; null for a fresh action.</param>
public sealed record GateRequest(string Tool, string ArgumentsJson, GateSignals Signals, ActionLogEntry? Approval = null)
{
    /// <summary>The hash an approval is bound to.</summary>
    public string ArgumentsHash { get; } = CallBinding.Hash(Tool, ArgumentsJson);
}
