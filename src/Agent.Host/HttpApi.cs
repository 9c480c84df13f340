using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Host.Review;
using Agent.Runtime;
using Agent.Runtime.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
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
/// <c>GET /approvals</c>, <c>GET /approvals/{id}</c>, <c>POST /approvals/{id}/approve</c>, <c>POST /approvals/{id}/deny</c>,
/// <c>GET /events</c> (every run's status, server-sent) and the OpenAPI document at <see cref="OpenApiPath"/>; the review
/// page (<see cref="ReviewEndpoints"/>) at <c>/</c> also takes the session cookie that signing in with the token sets.
/// Every error answer, 4xx and 5xx, is an RFC 9457 problem (<c>application/problem+json</c>) whose <c>detail</c> says what was wrong.
/// JSON shapes are <see cref="ApiJson"/>'s, the same as the CLI's <c>--json</c>.
/// </summary>
internal static class HttpApi
{
    /// <summary>Where the OpenAPI document is served (behind the token, like the API it describes).</summary>
    public const string OpenApiPath = "/openapi/v1.json";

    /// <summary>The most entries one list request returns.</summary>
    public const int MaxLimit = 1000;

    private const string SubmitShape = """{"task": "TEXT"}""";
    private const string DecideShape = """{"reviewer": "NAME", "reason": "TEXT", "arguments_hash": "HASH (optional)"}""";
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
            var error = context.Exception ?? context.HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
            problem.Detail ??= (error, status) switch
            {
                (RunStoreException e, _) => e.Message + " See GET /readyz and the service's log.",
                (not null, _) => $"The service failed while answering {request.Method} {request.Path} ({error.GetType().Name}); its log has the details under trace id {context.HttpContext.TraceIdentifier}.",
                (_, StatusCodes.Status404NotFound) => $"There is no endpoint {request.Method} {request.Path}: the API serves /runs and /approvals, the review page / (see the README).",
                (_, StatusCodes.Status405MethodNotAllowed) => $"{request.Path} does not take {request.Method} (see the README for the methods of each endpoint).",
                _ => $"The request {request.Method} {request.Path} was refused: {problem.Title}.",
            };
        });

    public static void Map(WebApplication app, string token, AgentOptions agent)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(agent);
        // First, so an exception anywhere after it is answered as a problem (503 for the run store, 500 otherwise).
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is RunStoreException ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
        });
        // Before authentication, so a 401 (and any other empty error answer) gets its problem body too.
        app.UseStatusCodePages();
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ReviewEndpoints.ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });
        var expected = Encoding.UTF8.GetBytes(token);
        var sessions = app.Services.GetRequiredService<ReviewSessions>();
        app.Use(async (context, next) =>
        {
            // The scheme is case-insensitive (RFC 9110, 11.1); the token is compared in constant time.
            // Routing has run (WebApplication puts it first), so the endpoint's metadata says whether it is a probe.
            var endpoint = context.GetEndpoint();
            if (endpoint?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var header = context.Request.Headers.Authorization.ToString();
            if (header.Length == 0 && sessions.Find(context) is { } session)
            {
                // A browser's signed-in session: anything but a read must carry the session's antiforgery token.
                if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
                    && (ReviewEndpoints.IsCrossSite(context.Request) || !ReviewSessions.IsCsrfToken(session, await CsrfTokenAsync(context.Request).ConfigureAwait(false))))
                {
                    await Problem(StatusCodes.Status403Forbidden, $"A request made with the review page's session cookie must come from the page itself and carry its antiforgery token (form field '{ReviewSessions.CsrfField}' or header {ReviewSessions.CsrfHeader}); reload the page and try again.").ExecuteAsync(context).ConfigureAwait(false);
                    return;
                }

                context.Items[ReviewEndpoints.SessionItem] = session;
                await next(context).ConfigureAwait(false);
                return;
            }

            var space = header.IndexOf(' ', StringComparison.Ordinal);
            bool bearer = space > 0 && header.AsSpan(0, space).Equals("Bearer", StringComparison.OrdinalIgnoreCase);
            var given = bearer ? Encoding.UTF8.GetBytes(header[(space + 1)..].Trim()) : [];
            if (!bearer || !CryptographicOperations.FixedTimeEquals(given, expected))
            {
                if (header.Length == 0 && endpoint?.Metadata.GetMetadata<ReviewPageMetadata>() is not null && HttpMethods.IsGet(context.Request.Method))
                {
                    // A person opening the review page signs in first.
                    context.Response.Redirect("/login");
                    return;
                }

                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problem(StatusCodes.Status401Unauthorized, "Send the service's token (Http:Token) as 'Authorization: Bearer TOKEN', or sign in on the review page at /login.").ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });

        ReviewEndpoints.Map(app, token);
        app.MapOpenApi(OpenApiPath);
        app.MapGet("/events", StreamAllRunsAsync).WithSummary("Every run's status changes, as server-sent events ('run', with 'ready' first when not resuming); resume with Last-Event-ID or ?after=UNIX_MS.");
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
                : Results.Json((await store.ListRunsAsync(count, cancellationToken).ConfigureAwait(false)).Select(ApiJson.Run), JsonOutput.Options));
        app.MapGet("/runs/{id}", async (string id, IRunStore store, CancellationToken cancellationToken) =>
        {
            var run = await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false);
            return run is null
                ? NoRun(id)
                : Results.Json(new { run = ApiJson.Run(run), report = RunReport.From(run, await store.GetStepsAsync(id, cancellationToken).ConfigureAwait(false)) }, JsonOutput.Options);
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
                (await store.QueryLogAsync(new LogQuery { ReviewStatus = status, RunId = run, Tool = tool, Tag = tag, Limit = count }, cancellationToken).ConfigureAwait(false)).Select(ApiJson.Entry),
                JsonOutput.Options);
        });
        app.MapGet("/approvals/{id:long}", async (long id, IRunStore store, CancellationToken cancellationToken) =>
            await store.GetLogEntryAsync(id, cancellationToken).ConfigureAwait(false) is { } entry
                ? Results.Json(ApiJson.Entry(entry), JsonOutput.Options)
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

        if (request.ArgumentsHash is { } hash
            && await store.GetLogEntryAsync(id, cancellationToken).ConfigureAwait(false) is { } entry
            && !string.Equals(hash, entry.ArgumentsHash, StringComparison.Ordinal))
        {
            return Problem(StatusCodes.Status409Conflict, $"'arguments_hash' {hash} is not the call of approval {id} (its hash is {entry.ArgumentsHash}): read it again with GET /approvals/{id} and decide what it shows.");
        }

        try
        {
            return Results.Json(ApiJson.Entry(await store.DecideAsync(id, approve, request.Reviewer, request.Reason, cancellationToken).ConfigureAwait(false)), JsonOutput.Options);
        }
        catch (ApprovalException e)
        {
            return Problem(StatusCodes.Status409Conflict, e.Message);
        }
    }

    /// <summary><c>GET /runs/{id}/events</c>: the run's steps and status as server-sent events; <c>Last-Event-ID</c> resumes after what the client saw.</summary>
    private static async Task<IResult> StreamEventsAsync(string id, HttpRequest request, IRunStore store, CancellationToken cancellationToken)
    {
        if (await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            return NoRun(id);
        }

        var cursor = new RunEventCursor();
        var last = request.Headers["Last-Event-ID"].ToString();
        if (last.Length > 0 && !RunEventCursor.TryParse(last, out cursor))
        {
            return Problem(StatusCodes.Status400BadRequest, $"Last-Event-ID '{last}' is not an id this stream sent (they read like 'parked/1:completed.2:pending'): reconnect without it to be sent everything.");
        }

        return TypedResults.ServerSentEvents(EventStreams.RunAsync(store, id, cursor, cancellationToken));
    }

    /// <summary><c>GET /events</c>: every run's status changes; <c>Last-Event-ID</c> (or <c>?after=</c>, Unix milliseconds) resumes.</summary>
    private static IResult StreamAllRunsAsync(HttpRequest request, IRunStore store, string? after, CancellationToken cancellationToken)
    {
        var last = request.Headers["Last-Event-ID"].ToString();
        var from = last.Length > 0 ? last : after;
        long? since = null;
        if (from is not null)
        {
            if (!long.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                return Problem(StatusCodes.Status400BadRequest, $"'{from}' is not an event id of /events (a Unix time in milliseconds): reconnect without Last-Event-ID or ?after= to start from now.");
            }

            since = ms;
        }

        return TypedResults.ServerSentEvents(EventStreams.AllRunsAsync(store, since, cancellationToken));
    }

    /// <summary>The antiforgery token a request carries: the <c>X-CSRF-Token</c> header, or a form's <c>csrf</c> field.</summary>
    private static async Task<string?> CsrfTokenAsync(HttpRequest request)
    {
        if (request.Headers[ReviewSessions.CsrfHeader].ToString() is { Length: > 0 } header)
        {
            return header;
        }

        if (!request.HasFormContentType)
        {
            return null;
        }

        try
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            return form[ReviewSessions.CsrfField].ToString();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The body of <c>POST /runs</c>.</summary>
    internal sealed record SubmitRequest(string Task);

    /// <summary>The body of <c>POST /approvals/{id}/approve|deny</c>.</summary>
    /// <param name="Reviewer">Who decides.</param>
    /// <param name="Reason">Why.</param>
    /// <param name="ArgumentsHash">When given, the decision is refused (409) unless it is the hash of the approval's call: the client decides what it read.</param>
    internal sealed record DecideRequest(string Reviewer, string? Reason, [property: JsonPropertyName("arguments_hash")] string? ArgumentsHash = null);
}
