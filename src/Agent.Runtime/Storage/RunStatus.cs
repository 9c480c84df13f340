namespace Agent.Runtime.Storage;

/// <summary>Where a run is. The terminal ones are Completed, Blocked, Failed and Limit.</summary>
public enum RunStatus
{
    /// <summary>Waiting in the durable queue (new, resumed after a decision, or put back at shutdown).</summary>
    Queued,

    /// <summary>Claimed by a worker.</summary>
    Running,

    /// <summary>Waiting for a person to decide an escalated action.</summary>
    Parked,

    /// <summary>The model gave its final answer and the policy let it through.</summary>
    Completed,

    /// <summary>Ended after too many blocked actions (Agent:MaxBlockedActions).</summary>
    Blocked,

    /// <summary>Ended by an error; <see cref="RunRecord.Reason"/> says which.</summary>
    Failed,

    /// <summary>Ended by a step, token or wall-clock budget.</summary>
    Limit,
}
