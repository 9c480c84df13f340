namespace Agent.Runtime.Policy;

/// <summary>A decision with the rule that produced it, the version of the policy that held it, and what fired.</summary>
/// <param name="Decision">Allow, escalate or block.</param>
/// <param name="Rule">The rule that fired, e.g. <c>tag:powerseeking:block any=0.91&gt;=0.6</c>,
/// <c>tag:deceit:classifier:escalate p=0.93&gt;=0.852</c>, <c>tag:deceit:combined:escalate s=0.93&gt;=0.848</c>,
/// <c>tool:forbidden</c>, <c>default:deny</c>.</param>
/// <param name="PolicyVersion">The hash of the policy that decided.</param>
public sealed record GateDecision(Decision Decision, string Rule, string PolicyVersion)
{
    /// <summary>The tag whose threshold fired; null when no tag decided (a tool rule, an approval, an allow).</summary>
    public string? Tag { get; init; }

    /// <summary>The signal whose threshold fired; <see cref="GateSignal.None"/> when no tag decided.</summary>
    public GateSignal Signal { get; init; }

    /// <summary>
    /// Every counted signal of every tag at or over a threshold, in the order the policy reads them (tag name, the
    /// model's before the classifier's), each at the highest level it reached. <see cref="Tag"/> and <see cref="Signal"/>
    /// name the one that decided; this list keeps the others that crossed with it. Empty when nothing crossed.
    /// </summary>
    public IReadOnlyList<FiredSignal> Fired { get; init; } = [];
}
