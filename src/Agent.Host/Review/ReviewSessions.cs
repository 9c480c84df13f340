using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Agent.Host.Review;

/// <summary>
/// The review page's sessions, held in memory: signing in with the service's token (Http:Token) makes one, kept by the
/// browser in an <c>HttpOnly</c>, <c>SameSite=Strict</c> cookie (<c>Secure</c> too when the request came over HTTPS).
/// Each session has its own antiforgery token, which every POST made with the cookie must carry (a form's <c>csrf</c>
/// field or an <c>X-CSRF-Token</c> header). A restart signs everyone out.
/// </summary>
internal sealed class ReviewSessions(TimeProvider time)
{
    /// <summary>The session cookie.</summary>
    public const string CookieName = "agent_session";

    /// <summary>The form field of the antiforgery token.</summary>
    public const string CsrfField = "csrf";

    /// <summary>The header of the antiforgery token, for scripts.</summary>
    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>How long a session lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>The most sessions held at once; signing in past it ends the oldest.</summary>
    public const int MaxSessions = 1000;

    private readonly ConcurrentDictionary<string, ReviewSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Starts a session for <paramref name="reviewer"/> and sets its cookie on the response to <paramref name="context"/>.</summary>
    public ReviewSession Start(string reviewer, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = time.GetUtcNow();
        foreach (var stale in _sessions.Values.Where(s => s.Expires <= now).ToList())
        {
            _sessions.TryRemove(stale.Id, out _);
        }

        while (_sessions.Count >= MaxSessions && _sessions.Values.MinBy(s => s.Expires) is { } oldest)
        {
            _sessions.TryRemove(oldest.Id, out _);
        }

        var session = new ReviewSession(RandomToken(), reviewer, RandomToken(), now + Lifetime);
        _sessions[session.Id] = session;
        context.Response.Cookies.Append(CookieName, session.Id, Cookie(context, session.Expires));
        return session;
    }

    /// <summary>The live session named by the request's cookie, or null.</summary>
    public ReviewSession? Find(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Request.Cookies.TryGetValue(CookieName, out var id) || string.IsNullOrEmpty(id) || !_sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        if (session.Expires <= time.GetUtcNow())
        {
            _sessions.TryRemove(id, out _);
            return null;
        }

        return session;
    }

    /// <summary>Ends the session and clears its cookie.</summary>
    public void End(ReviewSession session, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(context);
        _sessions.TryRemove(session.Id, out _);
        context.Response.Cookies.Delete(CookieName, Cookie(context, null));
    }

    /// <summary>Whether <paramref name="given"/> is the session's antiforgery token (compared in constant time).</summary>
    public static bool IsCsrfToken(ReviewSession session, string? given)
    {
        ArgumentNullException.ThrowIfNull(session);
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(session.CsrfToken));
    }

    private static CookieOptions Cookie(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private static string RandomToken() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
}
