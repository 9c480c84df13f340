using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Agent.Host.Review;

/// <summary>
/// The review page of <c>agent serve</c>: <c>GET /</c> (pending approvals first, then the filterable blocked-action log),
/// <c>GET /entries/{id}</c>, <c>POST /entries/{id}/approve|deny</c> (form posts with the session's antiforgery token, bound
/// to the call hash the page showed), <c>GET|POST /login</c>, <c>POST /logout</c>, and the page's own <c>/review.js</c> and
/// <c>/review.css</c>. The pages take the bearer token or the session cookie that signing in with it sets.
/// </summary>
internal static class ReviewEndpoints
{
    /// <summary>Where the signed-in session of a request is kept in <see cref="HttpContext.Items"/>.</summary>
    public const string SessionItem = "agent.review.session";

    /// <summary>The page's Content-Security-Policy: no inline script or style, nothing from elsewhere, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private const string HtmlType = "text/html; charset=utf-8";

    public static void Map(WebApplication app, string token)
    {
        ArgumentNullException.ThrowIfNull(app);
        var expected = Encoding.UTF8.GetBytes(token);
        var script = Asset("review.js");
        var style = Asset("review.css");
        app.MapGet("/review.js", () => Results.Text(script, "text/javascript; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/review.css", () => Results.Text(style, "text/css; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/login", (HttpContext context, ReviewSessions sessions) =>
            sessions.Find(context) is null ? Page(ReviewPages.Login(null)) : Results.Redirect("/")).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/login", async (HttpContext context, ReviewSessions sessions) =>
        {
            if (IsCrossSite(context.Request))
            {
                return Page(ReviewPages.Login("The sign-in came from another site and was refused."), StatusCodes.Status403Forbidden);
            }

            if (!context.Request.HasFormContentType)
            {
                return Page(ReviewPages.Login("Sign in with this form."), StatusCodes.Status400BadRequest);
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            var reviewer = form["reviewer"].ToString().Trim();
            var given = Encoding.UTF8.GetBytes(form["token"].ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, expected))
            {
                return Page(ReviewPages.Login("That is not the service's token (Http:Token)."), StatusCodes.Status401Unauthorized);
            }

            if (reviewer.Length is 0 or > 100)
            {
                return Page(ReviewPages.Login("Give your name (1 to 100 characters): the audit records who decided."), StatusCodes.Status400BadRequest);
            }

            sessions.Start(reviewer, context);
            return Results.Redirect("/", permanent: false, preserveMethod: false);
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/logout", (HttpContext context, ReviewSessions sessions) =>
        {
            if (Session(context) is { } session)
            {
                sessions.End(session, context);
            }

            return Results.Redirect("/login");
        }).WithMetadata(ReviewPageMetadata.Instance).ExcludeFromDescription();
        app.MapGet("/", IndexAsync).WithMetadata(ReviewPageMetadata.Instance).ExcludeFromDescription();
        app.MapGet("/entries/{id:long}", EntryAsync).WithMetadata(ReviewPageMetadata.Instance).ExcludeFromDescription();
        app.MapPost("/entries/{id:long}/approve", (long id, HttpContext context, IRunStore store) => DecideAsync(id, approve: true, context, store))
            .WithMetadata(ReviewPageMetadata.Instance).ExcludeFromDescription();
        app.MapPost("/entries/{id:long}/deny", (long id, HttpContext context, IRunStore store) => DecideAsync(id, approve: false, context, store))
            .WithMetadata(ReviewPageMetadata.Instance).ExcludeFromDescription();
    }

    /// <summary>The signed-in session of the request (null when it came with the bearer token).</summary>
    public static ReviewSession? Session(HttpContext context) => context.Items.TryGetValue(SessionItem, out var s) ? s as ReviewSession : null;

    /// <summary>Whether a browser says the request came from another site (<c>Sec-Fetch-Site</c>); requests without the header (not from a browser) pass.</summary>
    public static bool IsCrossSite(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        return site is "cross-site" or "same-site";
    }

    private static async Task<IResult> IndexAsync(HttpContext context, IRunStore store, CancellationToken cancellationToken)
    {
        var session = Session(context);
        var filter = LogFilter.From(context.Request.Query);
        var query = filter.ToQuery(out var filterError);
        var recent = await store.ListRunsAsync(HttpApi.MaxLimit, cancellationToken).ConfigureAwait(false);
        var runs = recent.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var pending = await store.QueryLogAsync(new LogQuery { ReviewStatus = "pending", Decision = Decision.Escalate, Limit = HttpApi.MaxLimit }, cancellationToken).ConfigureAwait(false);
        var log = query is null ? [] : await store.QueryLogAsync(query, cancellationToken).ConfigureAwait(false);
        var pendingViews = new List<EntryView>(pending.Count);
        var steps = new Dictionary<string, IReadOnlyList<StepRecord>>(StringComparer.Ordinal);
        foreach (var entry in pending)
        {
            if (!steps.TryGetValue(entry.RunId, out var journal))
            {
                journal = steps[entry.RunId] = await store.GetStepsAsync(entry.RunId, cancellationToken).ConfigureAwait(false);
            }

            pendingViews.Add(new EntryView(entry, await RunAsync(store, runs, entry.RunId, cancellationToken).ConfigureAwait(false), journal));
        }

        var logViews = new List<EntryView>(log.Count);
        foreach (var entry in log)
        {
            logViews.Add(new EntryView(entry, await RunAsync(store, runs, entry.RunId, cancellationToken).ConfigureAwait(false), null));
        }

        var html = ReviewPages.Index(session, EventsAfter(recent), pendingViews, logViews, filter, filterError);
        return Page(html, filterError is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> EntryAsync(long id, HttpContext context, IRunStore store, CancellationToken cancellationToken)
    {
        var session = Session(context);
        var entry = await store.GetLogEntryAsync(id, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return Page(ReviewPages.Error(session, "No such entry", $"There is no log entry {id}."), StatusCodes.Status404NotFound);
        }

        var recent = await store.ListRunsAsync(HttpApi.MaxLimit, cancellationToken).ConfigureAwait(false);
        var run = await store.GetRunAsync(entry.RunId, cancellationToken).ConfigureAwait(false);
        var steps = await store.GetStepsAsync(entry.RunId, cancellationToken).ConfigureAwait(false);
        return Page(ReviewPages.Entry(session, EventsAfter(recent), new EntryView(entry, run, steps)));
    }

    private static async Task<IResult> DecideAsync(long id, bool approve, HttpContext context, IRunStore store)
    {
        var cancellationToken = context.RequestAborted;
        if (Session(context) is not { } session)
        {
            return Page(ReviewPages.Error(null, "Sign in to decide", "Deciding on this page needs a signed-in session (the decision is recorded under your name); with the token, use POST /approvals/{id}/approve or /deny."), StatusCodes.Status400BadRequest);
        }

        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false) : null;
        var hash = form?["arguments_hash"].ToString();
        var reason = form?["reason"].ToString().Trim();
        var entry = await store.GetLogEntryAsync(id, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return Page(ReviewPages.Error(session, "No such entry", $"There is no log entry {id}."), StatusCodes.Status404NotFound);
        }

        if (!string.Equals(hash, entry.ArgumentsHash, StringComparison.Ordinal))
        {
            return Page(ReviewPages.Error(session, "Not decided", $"The decision named call hash '{hash}', but entry {id} is the call with hash {entry.ArgumentsHash}: reload the page and decide what it shows."), StatusCodes.Status409Conflict);
        }

        if (string.IsNullOrEmpty(reason) || reason.Length > 2000)
        {
            return Page(ReviewPages.Error(session, "Not decided", "Give a reason (1 to 2000 characters): it is recorded, and on deny the model is told."), StatusCodes.Status400BadRequest);
        }

        try
        {
            await store.DecideAsync(id, approve, session.Reviewer, reason, cancellationToken).ConfigureAwait(false);
        }
        catch (ApprovalException e)
        {
            return Page(ReviewPages.Error(session, "Not decided", e.Message), StatusCodes.Status409Conflict);
        }

        return Results.Redirect(FormattableString.Invariant($"/entries/{id}"));
    }

    private static async Task<RunRecord?> RunAsync(IRunStore store, Dictionary<string, RunRecord> runs, string id, CancellationToken cancellationToken)
    {
        if (!runs.TryGetValue(id, out var run) && await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is { } found)
        {
            run = runs[id] = found;
        }

        return run;
    }

    /// <summary>Where the page's event stream starts: the latest change it rendered (Unix milliseconds).</summary>
    private static long EventsAfter(IReadOnlyList<RunRecord> runs) => runs.Count == 0 ? 0 : runs.Max(r => r.UpdatedAt.ToUnixTimeMilliseconds());

    private static HtmlPage Page(string html, int status = StatusCodes.Status200OK) => new(html, status);

    private static string Asset(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Agent.Host.Review." + name)
            ?? throw new InvalidOperationException($"The review page's {name} is not embedded in the executable.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>An HTML answer that no cache keeps (it shows what the gate held back).</summary>
    private sealed class HtmlPage(string html, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = HtmlType;
            httpContext.Response.Headers.CacheControl = "no-store";
            return httpContext.Response.WriteAsync(html, httpContext.RequestAborted);
        }
    }
}
