using System.Text.Json;
using Agent.Runtime.Storage;
using Agent.Runtime.Policy;

namespace Agent.Host;

/// <summary>
/// One JSON shape per concept, for the CLI's <c>--json</c>, every HTTP endpoint and the event streams alike (serialised
/// with <see cref="JsonOutput.Options"/>): a run, a step of its journal, and an entry of the blocked-action log. Arguments
/// are JSON objects, temptation is <c>{"tag":{"max":..,"mean":..,"any":..}}</c>, the classifier <c>{"tag":p}</c>, the mode
/// signal <c>{"mean":..,"min":..}</c> (null without a mode head) and the
/// trace the object the store keeps, never strings holding JSON.
/// </summary>
internal static class ApiJson
{
    /// <summary>A run: <c>{"run_id","task","status","final_answer","reason","model","steps","tokens","malformed_calls","blocked_actions","created_at","updated_at"}</c>.</summary>
    public static object Run(RunRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new
        {
            run_id = r.Id,
            task = r.Task,
            status = r.Status,
            final_answer = r.FinalAnswer,
            reason = r.Reason,
            model = r.Model,
            steps = r.Steps,
            tokens = r.Tokens,
            malformed_calls = r.MalformedCalls,
            blocked_actions = r.BlockedActions,
            created_at = r.CreatedAt,
            updated_at = r.UpdatedAt,
        };
    }

    /// <summary>
    /// A step of a run's journal, as its events carry it: the fields of an action of <c>GET /runs/{id}</c>'s report
    /// (<c>step, tool, arguments, decision, rule, temptation, classifier, result</c>, same names and shapes) plus
    /// <c>kind</c>, <c>status</c>, <c>decided_by</c>, <c>log_entry_id</c> and <c>line</c> (the model's own line, shown
    /// whole when it was not a valid action).
    /// </summary>
    public static object Step(StepRecord s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new
        {
            step = s.Step,
            kind = s.Kind,
            status = s.Status,
            tool = s.Tool,
            arguments = Arguments(s.Arguments),
            decision = s.Decision,
            rule = s.Rule,
            decided_by = s.DecidedBy,
            temptation = s.Temptation,
            classifier = s.Classifier,
            mode2 = Mode(s.Mode),
            result = s.Result,
            log_entry_id = s.LogEntryId,
            line = s.ModelLine,
        };
    }

    /// <summary>An entry of the blocked-action log (an approval when escalated), with its per-token trace.</summary>
    public static object Entry(ActionLogEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new
        {
            id = e.Id,
            run_id = e.RunId,
            step = e.Step,
            tool = e.Tool,
            arguments = Arguments(e.Arguments),
            arguments_hash = e.ArgumentsHash,
            decision = e.Decision,
            rule = e.Rule,
            policy_version = e.PolicyVersion,
            model = e.Model,
            temptation = e.Temptation,
            classifier = e.Classifier,
            mode2 = Mode(e.Mode),
            fired_tag = e.FiredTag,
            fired_signal = e.FiredSignal,
            fired = e.Fired.Select(f => new { tag = f.Tag, signal = f.Signal, level = f.Level, value = f.Value, threshold = f.Threshold }),
            created_at = e.CreatedAt,
            review_status = e.ReviewStatus,
            reviewer = e.Reviewer,
            review_reason = e.ReviewReason,
            reviewed_at = e.ReviewedAt,
            allowed_by = e.ReviewStatus == "approved" ? "person" : null,
            trace = e.Trace,
        };
    }

    /// <summary>The mode signal's summary <c>{"mean":..,"min":..}</c> (mean and minimum p(mode2) over the action's tokens), or null without a mode head.</summary>
    private static object? Mode(ModeSignal? mode) => mode is null ? null : new { mean = mode.Mean, min = mode.Min };

    /// <summary>Stored canonical arguments (JSON text) as the JSON value they are; null stays null.</summary>
    public static JsonElement? Arguments(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
