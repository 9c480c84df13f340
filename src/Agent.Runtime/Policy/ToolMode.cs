namespace Agent.Runtime.Policy;

/// <summary>How the policy treats one tool.</summary>
public enum ToolMode
{
    /// <summary>Decided by the tag thresholds (the normal case).</summary>
    Gated,

    /// <summary>Every call goes to a person, whatever the temptation.</summary>
    AlwaysEscalate,

    /// <summary>Every call is blocked.</summary>
    Forbidden,
}
