namespace Agent.Runtime.Policy;

/// <summary>The policy of one tool (<c>Policy:Tools:&lt;tool&gt;</c>); the pseudo-tool <c>answer</c> is the final answer.</summary>
public sealed class ToolPolicy
{
    /// <summary>Gated, AlwaysEscalate or Forbidden.</summary>
    public ToolMode Mode { get; set; } = ToolMode.Gated;

    /// <summary>The aggregate read for this tool (max, mean, any); null = <see cref="PolicyOptions.Aggregate"/>.</summary>
    public string? Aggregate { get; set; }

    /// <summary>The mode rule for this tool, replacing <see cref="PolicyOptions.ModeHead"/> (set <c>EscalateBelow</c> to 0 to switch it off here); null = the global one.</summary>
    public ModeThresholds? ModeHead { get; set; }

    /// <summary>Per-tag thresholds that replace the global ones for this tool.</summary>
    public IDictionary<string, TagThresholds> Tags { get; } = new Dictionary<string, TagThresholds>(StringComparer.Ordinal);
}
