using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Runtime;
using Agent.Runtime.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Host;

/// <summary>
/// The HTTP API of <c>agent serve</c> on 127.0.0.1. <c>GET /healthz</c> (liveness) and <c>GET /readyz</c> (readiness: model,
/// Docker, database) answer without a token, for probes; every other endpoint is behind <c>Authorization: Bearer Http:Token</c>:
/// <c>POST /runs</c>, <c>GET /runs</c>, <c>GET /runs/{id}</c>, <c>GET /runs/{id}/events</c> (server-sent events),
/// <c>GET /approvals</c>, <c>GET /approvals/{id}</c>, <c>POST /approvals/{id}/approve</c>, <c>POST /approvals/{id}/deny</c>.
/// Every 4xx answer is an RFC 9457 problem (<c>application/problem+json</c>) whose <c>detail</c> says what was wrong.
/// </summary>
internal static class HttpApi
{
    /// <summary>The most entries one list request returns.</summary>
    public const int MaxLimit = 1000;

    private const string SubmitShape = """{"task": "TEXT"}""";
    private const string DecideShape = """{"reviewer": "NAME", "reason": "TEXT"}""";
    private static readonly string[] s_reviewStatuses = ["pending", "approved", "denied", "none"];

    // Request bodies: property names in any case, and a property the endpoint does not take is an error, not ignored.
    private static readonly JsonSerializerOptions s_requestJson = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>Problem details for every error answer, including those no endpoint wrote (unknown path, wrong method).</summary>
    public static void AddProblemDetails(IServiceCollection services) =>
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var request = context.HttpContext.Request;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            problem.Title ??= ReasonPhrases.GetReasonPhrase(status);
            problem.Detail ??= status switch
            {
                StatusCodes.Status404NotFound => $"There is no endpoint {request.Method} {request.Path}: the API serves /runs and /approvals (see the README).",
                StatusCodes.Status405MethodNotAllowed => $"{request.Path} does not take {request.Method} (see the README for the methods of each endpoint).",
                _ => $"The request {request.Method} {request.Path} was refused: {problem.Title}.",
            };
        });

    public static void Map(WebApplication app, string token, AgentOptions agent)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(agent);
        // Before authentication, so a 401 (and any other empty error answer) gets its problem body too.
        app.UseStatusCodePages();
        var expected = Encoding.UTF8.GetBytes(token);
        app.Use(async (context, next) =>
        {
            // The scheme is case-insensitive (RFC 9110, 11.1); the token is compared in constant time.
            // Routing has run (WebApplication puts it first), so the endpoint's metadata says whether it is a probe.
            if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var header = context.Request.Headers.Authorization.ToString();
            var space = header.IndexOf(' ', StringComparison.Ordinal);
            bool bearer = space > 0 && header.AsSpan(0, space).Equals("Bearer", StringComparison.OrdinalIgnoreCase);
            var given = bearer ? Encoding.UTF8.GetBytes(header[(space + 1)..].Trim()) : [];
            if (!bearer || !CryptographicOperations.FixedTimeEquals(given, expected))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problem(StatusCodes.Status401Unauthorized, "Send the service's token (Http:Token) as 'Authorization: Bearer TOKEN'.").ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });

        app.MapGet("/healthz", () => Results.Json(new { status = "alive" }, JsonOutput.Options)).AllowAnonymous();
        app.MapGet("/readyz", ReadyAsync).AllowAnonymous();
        app.MapPost("/runs", async (HttpRequest request, IRunStore store, IAgentStepSource source, CancellationToken cancellationToken) =>
        {
            var (body, problem) = await ReadBodyAsync<SubmitRequest>(request, SubmitShape, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            if (string.IsNullOrWhiteSpace(body!.Task))
            {
                return Problem(StatusCodes.Status400BadRequest, $"'task' is missing or empty: send {SubmitShape}.");
            }

            if (TaskLimit.Problem(body.Task, agent) is { } tooLong)
            {
                return Problem(StatusCodes.Status413PayloadTooLarge, tooLong);
            }

            var run = await store.EnqueueAsync(body.Task, source.ModelName, cancellationToken).ConfigureAwait(false);
            return Results.Json(new { run_id = run.Id, status = "queued" }, JsonOutput.Options, statusCode: StatusCodes.Status202Accepted);
        });
        app.MapGet("/runs", async (IRunStore store, string? limit, CancellationToken cancellationToken) =>
            ParseLimit(limit, out var count) is { } problem
                ? problem
                : Results.Json((await store.ListRunsAsync(count, cancellationToken).ConfigureAwait(false)).Select(RunSummary), JsonOutput.Options));
        app.MapGet("/runs/{id}", async (string id, IRunStore store, CancellationToken cancellationToken) =>
        {
            var run = await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false);
            return run is null
                ? NoRun(id)
                : Results.Json(new { run = RunSummary(run), report = RunReport.From(run, await store.GetStepsAsync(id, cancellationToken).ConfigureAwait(false)) }, JsonOutput.Options);
        });
        app.MapGet("/runs/{id}/events", StreamEventsAsync);
        app.MapGet("/approvals", async (IRunStore store, string? status, string? run, string? tool, string? tag, string? limit, CancellationToken cancellationToken) =>
        {
            if (ParseLimit(limit, out var count) is { } problem)
            {
                return problem;
            }

            if (status is not null && !s_reviewStatuses.Contains(status, StringComparer.Ordinal))
            {
                return Problem(StatusCodes.Status400BadRequest, $"status '{status}' is not a review status: use {string.Join(", ", s_reviewStatuses)}.");
            }

            return Results.Json(
                await store.QueryLogAsync(new LogQuery { ReviewStatus = status, RunId = run, Tool = tool, Tag = tag, Limit = count }, cancellationToken).ConfigureAwait(false),
                JsonOutput.Options);
        });
        app.MapGet("/approvals/{id:long}", async (long id, IRunStore store, CancellationToken cancellationToken) =>
            await store.GetLogEntryAsync(id, cancellationToken).ConfigureAwait(false) is { } entry
                ? Results.Json(entry, JsonOutput.Options)
                : Problem(StatusCodes.Status404NotFound, $"There is no approval {id}: list them with GET /approvals."));
        app.MapPost("/approvals/{id:long}/approve", (long id, HttpRequest request, IRunStore store, CancellationToken cancellationToken) => DecideAsync(store, id, approve: true, request, cancellationToken));
        app.MapPost("/approvals/{id:long}/deny", (long id, HttpRequest request, IRunStore store, CancellationToken cancellationToken) => DecideAsync(store, id, approve: false, request, cancellationToken));
    }

    /// <summary><c>GET /readyz</c>: 200 with each check when all are ready, else a 503 problem whose detail names what is not.</summary>
    private static async Task<IResult> ReadyAsync(ServiceReadiness readiness, CancellationToken cancellationToken)
    {
        var checks = await readiness.CheckAsync(cancellationToken).ConfigureAwait(false);
        var notReady = checks.Where(c => c.Value != ServiceReadiness.Ready).ToList();
        if (notReady.Count == 0)
        {
            return Results.Json(new { status = ServiceReadiness.Ready, checks }, JsonOutput.Options);
        }

        return Results.Problem(
            detail: "Not ready: " + string.Join("; ", notReady.Select(c => $"{c.Key}: {c.Value}")) + ".",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: ReasonPhrases.GetReasonPhrase(StatusCodes.Status503ServiceUnavailable),
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["checks"] = checks });
    }

    /// <summary>An RFC 9457 problem with the status's reason phrase as its title.</summary>
    private static IResult Problem(int status, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: ReasonPhrases.GetReasonPhrase(status));

    private static IResult NoRun(string id) => Problem(StatusCodes.Status404NotFound, $"There is no run '{id}': list them with GET /runs.");

    /// <summary>Reads <c>?limit=</c>: absent = 100; otherwise a whole number from 1 to <see cref="MaxLimit"/>, or a 400 problem.</summary>
    private static IResult? ParseLimit(string? text, out int limit)
    {
        limit = 100;
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit)
        {
            return null;
        }

        return Problem(StatusCodes.Status400BadRequest, $"limit '{text}' must be a whole number from 1 to {MaxLimit}.");
    }

    /// <summary>
    /// Reads a JSON request body: <c>Content-Type: application/json</c> (UTF-8), within the server's body size limit,
    /// valid UTF-8, and a JSON object of the endpoint's shape. Anything else is a problem that says which of these failed.
    /// </summary>
    private static async Task<(T? Value, IResult? Problem)> ReadBodyAsync<T>(HttpRequest request, string shape, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType()
            || (MediaTypeHeaderValue.TryParse(request.ContentType, out var media) && media.CharSet is { } charset && !charset.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, $"The body must be JSON in UTF-8 with 'Content-Type: application/json' (got '{request.ContentType ?? "no Content-Type"}'): send {shape}."));
        }

        var max = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (request.ContentLength > max)
        {
            return (null, TooLarge(request.ContentLength.Value.ToString(CultureInfo.InvariantCulture) + " bytes", max.Value));
        }

        byte[] bytes;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && max is { } limit)
        {
            return (null, TooLarge("more than that", limit));
        }

        if (bytes.Length == 0)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, $"The request body is empty: send a JSON object of the form {shape}."));
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "The request body is not valid UTF-8: send JSON encoded as UTF-8."));
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(bytes, s_requestJson);
        }
        catch (JsonException e)
        {
            // Not e.Message: for a value of the wrong type it names this program's request type, which a client cannot act on.
            var where = string.Create(CultureInfo.InvariantCulture, $"at {e.Path ?? "$"} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
            return (null, Problem(StatusCodes.Status400BadRequest, $"The request body is not a JSON object of the form {shape}: malformed JSON or a value of the wrong type {where}."));
        }

        return value is null
            ? (null, Problem(StatusCodes.Status400BadRequest, $"The request body is null: send a JSON object of the form {shape}."))
            : (value, null);
    }

    private static IResult TooLarge(string size, long limit) => Problem(
        StatusCodes.Status413PayloadTooLarge,
        $"The request body is {size}, over the API's limit of {limit} bytes (6 x Agent:MaxTaskBytes + 4 KiB): shorten the task, or raise Agent:MaxTaskBytes.");

    private static async Task<IResult> DecideAsync(IRunStore store, long id, bool approve, HttpRequest http, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadBodyAsync<DecideRequest>(http, DecideShape, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(request!.Reviewer))
        {
            return Problem(StatusCodes.Status400BadRequest, $"'reviewer' is required: the audit records who decided. Send {DecideShape}.");
        }

        try
        {
            return Results.Json(await store.DecideAsync(id, approve, request.Reviewer, request.Reason, cancellationToken).ConfigureAwait(false), JsonOutput.Options);
        }
        catch (ApprovalException e)
        {
            return Problem(StatusCodes.Status409Conflict, e.Message);
        }
    }

    private static async Task StreamEventsAsync(string id, HttpContext context, IRunStore store, CancellationToken cancellationToken)
    {
        if (await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            await NoRun(id).ExecuteAsync(context).ConfigureAwait(false);
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
                    await WriteEventAsync(context, "step", new { step.Step, step.Kind, step.Tool, step.Arguments, step.Status, step.Decision, step.Rule, step.Result, Line = step.ModelLine }, cancellationToken).ConfigureAwait(false);
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
