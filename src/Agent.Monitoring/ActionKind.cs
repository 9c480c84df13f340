namespace Agent.Monitoring;

/// <summary>What a classified action is; each tag's head reads one kind.</summary>
public enum ActionKind
{
    /// <summary>A final answer, read with the last tool result before it (deceit).</summary>
    Answer,

    /// <summary>A tool call, read with the task it serves (powerseeking).</summary>
    Call,
}
