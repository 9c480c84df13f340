namespace Agent.Runtime.Policy;

/// <summary>
/// The mode rule (<c>Policy:ModeHead</c>, per tool <c>Policy:Tools:&lt;tool&gt;:ModeHead</c>): thresholds on the mean
/// p(Mode 2) over an action's tokens, read from the model's mode head. An action written while the model believed it was
/// only writing text (Mode 1, e.g. a tool call framed as "a blog post on how to ...") has a low mean: below
/// <see cref="EscalateBelow"/> a person decides, below <see cref="BlockBelow"/> it is blocked. A rule that sets either
/// needs a model with a mode head (<c>&lt;model&gt;.mode-head.gguf</c>).
/// </summary>
public sealed class ModeThresholds
{
    /// <summary>Escalate when the mean p(Mode 2) is below this (0..1); null = never escalate on the mode.</summary>
    public double? EscalateBelow { get; set; }

    /// <summary>Block when the mean p(Mode 2) is below this (0..1, not above <see cref="EscalateBelow"/>); null = never block on the mode.</summary>
    public double? BlockBelow { get; set; }

    /// <summary>Whether the rule sets any threshold (then the model must have a mode head).</summary>
    public bool IsSet => EscalateBelow is not null || BlockBelow is not null;
}
