using System.Globalization;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.AspNetCore.Http;

namespace Agent.Host.Review;

/// <summary>The review page's filters of the blocked-action log, read from its query string (<c>?run=&amp;tool=&amp;tag=&amp;decision=&amp;status=&amp;since=&amp;until=&amp;limit=</c>).</summary>
internal sealed record LogFilter(string? Run, string? Tool, string? Tag, string? Decision, string? Status, string? Since, string? Until, string? Limit)
{
    /// <summary>The review statuses the filter takes.</summary>
    public static readonly string[] Statuses = ["pending", "approved", "denied", "none"];

    /// <summary>The filters of a request (empty values are no filter).</summary>
    public static LogFilter From(IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(query);
        string? Get(string name) => query[name].ToString() is { Length: > 0 } v ? v.Trim() : null;
        return new LogFilter(Get("run"), Get("tool"), Get("tag"), Get("decision"), Get("status"), Get("since"), Get("until"), Get("limit"));
    }

    /// <summary>The store query, or an error that says which filter is wrong and what it takes.</summary>
    public LogQuery? ToQuery(out string? error)
    {
        error = null;
        Decision? decision = null;
        if (Decision is not null)
        {
            decision = Decision switch
            {
                "escalate" => Agent.Runtime.Policy.Decision.Escalate,
                "block" => Agent.Runtime.Policy.Decision.Block,
                _ => null,
            };
            if (decision is null)
            {
                error = $"decision '{Decision}' is not a decision the log holds: use escalate or block.";
                return null;
            }
        }

        if (Status is not null && !Statuses.Contains(Status, StringComparer.Ordinal))
        {
            error = $"status '{Status}' is not a review status: use {string.Join(", ", Statuses)}.";
            return null;
        }

        if (!TryTime(Since, "since", out var since, out error) || !TryTime(Until, "until", out var until, out error))
        {
            return null;
        }

        var limit = 200;
        if (Limit is not null && (!int.TryParse(Limit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > HttpApi.MaxLimit))
        {
            error = $"limit '{Limit}' must be a whole number from 1 to {HttpApi.MaxLimit}.";
            return null;
        }

        return new LogQuery { RunId = Run, Tool = Tool, Tag = Tag, Decision = decision, ReviewStatus = Status, Since = since, Until = until, Limit = limit };
    }

    private static bool TryTime(string? text, string name, out DateTimeOffset? value, out string? error)
    {
        value = null;
        error = null;
        if (text is null)
        {
            return true;
        }

        // A datetime-local input sends no zone: times are UTC, as the page says.
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = $"{name} '{text}' is not a time: use ISO 8601 in UTC, such as 2026-12-02T04:30.";
        return false;
    }
}
