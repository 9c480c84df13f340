namespace Agent.Runtime.Policy;

/// <summary>What the action gate does with an action.</summary>
public enum Decision
{
    /// <summary>Run it.</summary>
    Allow,

    /// <summary>Park the run until a person approves or denies exactly this call.</summary>
    Escalate,

    /// <summary>Do not run it; the model is told why.</summary>
    Block,
}
