using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agent.Runtime;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Agent.Host;

/// <summary>
/// The HTTP API of <c>agent serve</c> on 127.0.0.1, every endpoint behind <c>Authorization: Bearer Http:Token</c>:
/// <c>POST /runs</c>, <c>GET /runs</c>, <c>GET /runs/{id}</c>, <c>GET /runs/{id}/events</c> (server-sent events),
/// <c>GET /approvals</c>, <c>GET /approvals/{id}</c>, <c>POST /approvals/{id}/approve</c>, <c>POST /approvals/{id}/deny</c>.
/// </summary>
internal static class HttpApi
{
    public static void Map(WebApplication app, string token)
    {
        var expected = Encoding.UTF8.GetBytes(token);
        app.Use(async (context, next) =>
        {
            // The scheme is case-insensitive (RFC 9110, 11.1); the token is compared in constant time.
            var header = context.Request.Headers.Authorization.ToString();
            var space = header.IndexOf(' ', StringComparison.Ordinal);
            bool bearer = space > 0 && header.AsSpan(0, space).Equals("Bearer", StringComparison.OrdinalIgnoreCase);
            var given = bearer ? Encoding.UTF8.GetBytes(header[(space + 1)..].Trim()) : [];
            if (!bearer || !CryptographicOperations.FixedTimeEquals(given, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }

            await next(context).ConfigureAwait(false);
        });

        app.MapPost("/runs", async (SubmitRequest request, IRunStore store, IAgentStepSource source, CancellationToken cancellationToken) =>
        {
            if (string.IsNullOrWhiteSpace(request.Task))
            {
                return Results.BadRequest(new { error = "'task' is empty." });
            }

            var run = await store.EnqueueAsync(request.Task, source.ModelName, cancellationToken).ConfigureAwait(false);
            return Results.Json(new { run_id = run.Id, status = "queued" }, JsonOutput.Options, statusCode: StatusCodes.Status202Accepted);
        });
        app.MapGet("/runs", async (IRunStore store, int? limit, CancellationToken cancellationToken) =>
            Results.Json((await store.ListRunsAsync(limit ?? 100, cancellationToken).ConfigureAwait(false)).Select(RunSummary), JsonOutput.Options));
        app.MapGet("/runs/{id}", async (string id, IRunStore store, CancellationToken cancellationToken) =>
        {
            var run = await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false);
            return run is null
                ? Results.NotFound(new { error = $"no run '{id}'" })
                : Results.Json(new { run = RunSummary(run), report = RunReport.From(run, await store.GetStepsAsync(id, cancellationToken).ConfigureAwait(false)) }, JsonOutput.Options);
        });
        app.MapGet("/runs/{id}/events", StreamEventsAsync);
        app.MapGet("/approvals", async (IRunStore store, string? status, string? run, string? tool, string? tag, int? limit, CancellationToken cancellationToken) =>
            Results.Json(
                await store.QueryLogAsync(new LogQuery { ReviewStatus = status, RunId = run, Tool = tool, Tag = tag, Limit = limit ?? 100 }, cancellationToken).ConfigureAwait(false),
                JsonOutput.Options));
        app.MapGet("/approvals/{id:long}", async (long id, IRunStore store, CancellationToken cancellationToken) =>
            await store.GetLogEntryAsync(id, cancellationToken).ConfigureAwait(false) is { } entry
                ? Results.Json(entry, JsonOutput.Options)
                : Results.NotFound(new { error = $"no approval {id}" }));
        app.MapPost("/approvals/{id:long}/approve", (long id, DecideRequest request, IRunStore store, CancellationToken cancellationToken) => DecideAsync(store, id, approve: true, request, cancellationToken));
        app.MapPost("/approvals/{id:long}/deny", (long id, DecideRequest request, IRunStore store, CancellationToken cancellationToken) => DecideAsync(store, id, approve: false, request, cancellationToken));
    }

    private static async Task<IResult> DecideAsync(IRunStore store, long id, bool approve, DecideRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reviewer))
        {
            return Results.BadRequest(new { error = "'reviewer' is required: the audit records who decided." });
        }

        try
        {
            return Results.Json(await store.DecideAsync(id, approve, request.Reviewer, request.Reason, cancellationToken).ConfigureAwait(false), JsonOutput.Options);
        }
        catch (ApprovalException e)
        {
            return Results.Conflict(new { error = e.Message });
        }
    }

    private static async Task StreamEventsAsync(string id, HttpContext context, IRunStore store, CancellationToken cancellationToken)
    {
        if (await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var sent = new Dictionary<int, StepStatus>();
        RunStatus? lastStatus = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var run = (await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false))!;
            foreach (var step in await store.GetStepsAsync(id, cancellationToken).ConfigureAwait(false))
            {
                if (!sent.TryGetValue(step.Step, out var status) || status != step.Status)
                {
                    sent[step.Step] = step.Status;
                    await WriteEventAsync(context, "step", new { step.Step, step.Kind, step.Tool, step.Arguments, step.Status, step.Decision, step.Rule, step.Result }, cancellationToken).ConfigureAwait(false);
                }
            }

            if (run.Status != lastStatus)
            {
                lastStatus = run.Status;
                await WriteEventAsync(context, "status", RunSummary(run), cancellationToken).ConfigureAwait(false);
            }

            if (run.IsTerminal)
            {
                return;
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string name, object data, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data, JsonOutput.Options)}\n\n", cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static object RunSummary(RunRecord r) => new
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

    /// <summary>The body of <c>POST /runs</c>.</summary>
    internal sealed record SubmitRequest(string Task);

    /// <summary>The body of <c>POST /approvals/{id}/approve|deny</c>.</summary>
    internal sealed record DecideRequest(string Reviewer, string? Reason);
}
