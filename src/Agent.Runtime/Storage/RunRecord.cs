namespace Agent.Runtime.Storage;

/// <summary>One run as stored.</summary>
public sealed record RunRecord
{
    /// <summary>The run id.</summary>
    public required string Id { get; init; }

    /// <summary>The task text.</summary>
    public required string Task { get; init; }

    /// <summary>Where the run is.</summary>
    public RunStatus Status { get; init; }

    /// <summary>The final answer when completed.</summary>
    public string? FinalAnswer { get; init; }

    /// <summary>Why it failed, parked, stopped or was put back.</summary>
    public string? Reason { get; init; }

    /// <summary>The model the run was decoded with.</summary>
    public string Model { get; init; } = string.Empty;

    /// <summary>Model steps taken.</summary>
    public int Steps { get; init; }

    /// <summary>Tokens generated.</summary>
    public int Tokens { get; init; }

    /// <summary>Active milliseconds (time parked does not count).</summary>
    public long ElapsedMilliseconds { get; init; }

    /// <summary>Malformed lines, unknown tools and invalid arguments sent back to the model.</summary>
    public int MalformedCalls { get; init; }

    /// <summary>Actions blocked so far.</summary>
    public int BlockedActions { get; init; }

    /// <summary>The worker that holds the run.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>When its claim ends.</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>Created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether no more steps will be taken.</summary>
    public bool IsTerminal => Status is RunStatus.Completed or RunStatus.Blocked or RunStatus.Failed or RunStatus.Limit;
}
