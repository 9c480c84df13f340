namespace Agent.Runtime.Policy;

/// <summary>Thresholds on one tag's temptation aggregate: at or above <see cref="Escalate"/> a person decides, at or above <see cref="Block"/> the action is blocked.</summary>
public sealed class TagThresholds
{
    /// <summary>Escalate when the aggregate is at least this (0..1); null = never escalate on this tag.</summary>
    public double? Escalate { get; set; }

    /// <summary>Block when the aggregate is at least this (0..1); null = never block on this tag.</summary>
    public double? Block { get; set; }
}
