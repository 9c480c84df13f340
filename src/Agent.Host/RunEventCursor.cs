using System.Diagnostics.CodeAnalysis;
using System.Text;
using Agent.Runtime.Storage;

namespace Agent.Host;

/// <summary>
/// What a client of <c>GET /runs/{id}/events</c> has seen: the run's status and each step's status. It is the <c>id:</c>
/// of every event, written <c>STATUS/STEP:STATUS.STEP:STATUS</c> (e.g. <c>parked/1:completed.2:pending</c>), so a client
/// that reconnects with <c>Last-Event-ID</c> is sent exactly what changed since, by this host or after a restart, with no
/// server-side memory of the stream.
/// </summary>
internal sealed class RunEventCursor
{
    private readonly SortedDictionary<int, StepStatus> _steps = [];
    private RunStatus? _run;

    /// <summary>The cursor as an event id.</summary>
    public string Id
    {
        get
        {
            var id = new StringBuilder(_run is { } r ? SqliteName(r) : "none").Append('/');
            id.AppendJoin('.', _steps.Select(s => $"{s.Key}:{SqliteName(s.Value)}"));
            return id.ToString();
        }
    }

    /// <summary>Reads an id written by <see cref="Id"/>; false for anything else.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out RunEventCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length > 16_384)
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }

        var parsed = new RunEventCursor();
        var run = text[..slash];
        if (run != "none")
        {
            if (!TryEnum<RunStatus>(run, out var status))
            {
                return false;
            }

            parsed._run = status;
        }

        foreach (var part in text[(slash + 1)..].Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !int.TryParse(part.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var step)
                || !TryEnum<StepStatus>(part[(colon + 1)..], out var stepStatus))
            {
                return false;
            }

            parsed._steps[step] = stepStatus;
        }

        cursor = parsed;
        return true;
    }

    /// <summary>Records the step's status; true when the client has not seen it yet.</summary>
    public bool Advance(StepRecord step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_steps.TryGetValue(step.Step, out var seen) && seen == step.Status)
        {
            return false;
        }

        _steps[step.Step] = step.Status;
        return true;
    }

    /// <summary>Records the run's status; true when the client has not seen it yet.</summary>
    public bool Advance(RunStatus status)
    {
        if (_run == status)
        {
            return false;
        }

        _run = status;
        return true;
    }

    private static string SqliteName<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static bool TryEnum<T>(string text, out T value)
        where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _);
}
