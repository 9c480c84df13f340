using Agent.Runtime.Policy;

namespace Agent.Runtime.Storage;

/// <summary>Filters of the blocked-action log; null = any.</summary>
public sealed record LogQuery
{
    /// <summary>Only this run.</summary>
    public string? RunId { get; init; }

    /// <summary>Only this tool.</summary>
    public string? Tool { get; init; }

    /// <summary>Only entries whose rule names this tag.</summary>
    public string? Tag { get; init; }

    /// <summary>Only escalations or blocks.</summary>
    public Decision? Decision { get; init; }

    /// <summary>Only pending / approved / denied / none.</summary>
    public string? ReviewStatus { get; init; }

    /// <summary>Only entries created at or after.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only entries created before.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Most entries, newest first.</summary>
    public int Limit { get; init; } = 100;
}
