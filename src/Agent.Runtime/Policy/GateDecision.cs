namespace Agent.Runtime.Policy;

/// <summary>A decision with the rule that produced it and the version of the policy that held it.</summary>
/// <param name="Decision">Allow, escalate or block.</param>
/// <param name="Rule">The rule that fired, e.g. <c>tag:powerseeking:block any=0.91&gt;=0.6</c>, <c>tool:forbidden</c>, <c>default:deny</c>.</param>
/// <param name="PolicyVersion">The hash of the policy that decided.</param>
public sealed record GateDecision(Decision Decision, string Rule, string PolicyVersion);
