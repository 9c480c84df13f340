using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Host.Review;

/// <summary>
/// The review page's HTML, rendered on the server: the sign-in form, the page at <c>/</c> (pending approvals, then the
/// blocked-action log with its filters) and one entry at <c>/entries/{id}</c>. Every string that a task, the model or a
/// tool wrote goes through <see cref="Html"/>; the only script is <c>/review.js</c> (the Content-Security-Policy allows no other).
/// </summary>
internal static class ReviewPages
{
    private static readonly JsonSerializerOptions s_pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The sign-in form; <paramref name="error"/> says why the last attempt failed.</summary>
    public static string Login(string? error)
    {
        var body = new StringBuilder();
        body.Append("<main class=\"login\"><h1>Agent review</h1>");
        if (error is not null)
        {
            body.Append("<p class=\"error\" role=\"alert\">").Append(Html.Text(error)).Append("</p>");
        }

        body.Append("""
            <form method="post" action="/login">
            <label>Your name (decisions are recorded under it) <input name="reviewer" autocomplete="username" required maxlength="100"></label>
            <label>Service token (Http:Token) <input name="token" type="password" autocomplete="current-password" required></label>
            <button type="submit">Sign in</button>
            </form></main>
            """);
        return Layout("Sign in · Agent review", null, null, body.ToString());
    }

    /// <summary>An error page (a bad filter, an unknown entry, a refused decision).</summary>
    public static string Error(ReviewSession? session, string title, string message) =>
        Layout(title + " · Agent review", session, null, $"<main id=\"live\"><h1>{Html.Text(title)}</h1><p class=\"error\" role=\"alert\">{Html.Text(message)}</p><p><a href=\"/\">Back to the review page</a></p></main>");

    /// <summary>The page at <c>/</c>.</summary>
    public static string Index(ReviewSession? session, long eventsAfter, IReadOnlyList<EntryView> pending, IReadOnlyList<EntryView> log, LogFilter filter, string? filterError)
    {
        var body = new StringBuilder("<main id=\"live\">");
        body.Append(CultureInfo.InvariantCulture, $"<section id=\"pending\"><h2>Pending approvals ({pending.Count})</h2>");
        if (pending.Count == 0)
        {
            body.Append("<p class=\"none\">Nothing is waiting for a decision.</p>");
        }

        foreach (var view in pending)
        {
            body.Append(CultureInfo.InvariantCulture, $"<article class=\"entry pending\" id=\"entry-{view.Entry.Id}\">");
            Card(body, view, session);
            body.Append("</article>");
        }

        body.Append("</section><section id=\"log\"><h2>Blocked-action log</h2>");
        Filters(body, filter);
        if (filterError is not null)
        {
            body.Append("<p class=\"error\" role=\"alert\">").Append(Html.Text(filterError)).Append("</p>");
        }
        else
        {
            LogTable(body, log);
        }

        body.Append("</section></main>");
        return Layout("Agent review", session, eventsAfter, body.ToString());
    }

    /// <summary>The page of one entry at <c>/entries/{id}</c>.</summary>
    public static string Entry(ReviewSession? session, long eventsAfter, EntryView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var body = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<main id=\"live\"><p><a href=\"/\">← all entries</a></p><article class=\"entry {Html.Attr(view.Entry.ReviewStatus)}\" id=\"entry-{view.Entry.Id}\">");
        Card(body, view, session);
        body.Append("</article></main>");
        return Layout(string.Create(CultureInfo.InvariantCulture, $"Entry {view.Entry.Id} · Agent review"), session, eventsAfter, body.ToString());
    }

    private static string Layout(string title, ReviewSession? session, long? eventsAfter, string main)
    {
        var page = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        page.Append("<title>").Append(Html.Text(title)).Append("</title><link rel=\"stylesheet\" href=\"/review.css\"><script src=\"/review.js\" defer></script></head>");
        page.Append(eventsAfter is { } after ? string.Create(CultureInfo.InvariantCulture, $"<body data-events-after=\"{after}\">") : "<body>");
        page.Append("<header><span class=\"brand\">Agent review</span>");
        if (session is not null)
        {
            page.Append("<span class=\"user\">signed in as ").Append(Html.Text(session.Reviewer)).Append("</span>");
            page.Append("<form method=\"post\" action=\"/logout\" class=\"logout\">").Append(CsrfField(session)).Append("<button type=\"submit\">Sign out</button></form>");
        }

        if (eventsAfter is not null)
        {
            page.Append("<span id=\"live-status\" class=\"live\" aria-live=\"polite\">live updates: connecting</span>");
        }

        page.Append("</header>").Append(main).Append("</body></html>");
        return page.ToString();
    }

    private static string CsrfField(ReviewSession session) => $"<input type=\"hidden\" name=\"{ReviewSessions.CsrfField}\" value=\"{Html.Attr(session.CsrfToken)}\">";

    /// <summary>Everything about one entry: task, conversation, proposed action, signals, rule, policy, heat map and, when pending, the decision form.</summary>
    private static void Card(StringBuilder html, EntryView view, ReviewSession? session)
    {
        var e = view.Entry;
        html.Append(CultureInfo.InvariantCulture, $"<h3><a href=\"/entries/{e.Id}\">Entry {e.Id}</a> · {Html.Text(e.Decision == Decision.Block ? "blocked" : "escalated")} · review <span class=\"status\">{Html.Text(e.ReviewStatus)}</span></h3>");
        html.Append("<dl class=\"facts\">");
        Fact(html, "run / step", $"{e.RunId} / {e.Step.ToString(CultureInfo.InvariantCulture)}" + (view.Run is { } r ? $" (run {SqliteName(r.Status)})" : " (run not found)"));
        Fact(html, "rule", e.Rule);
        Fact(html, "policy version", e.PolicyVersion);
        Fact(html, "model", e.Model);
        Fact(html, "created", e.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
        Fact(html, "call hash", e.ArgumentsHash);
        if (e.Reviewer is not null)
        {
            Fact(html, "decided", $"{e.ReviewStatus} by {e.Reviewer} at {e.ReviewedAt?.ToString("u", CultureInfo.InvariantCulture)}: {e.ReviewReason}");
        }

        html.Append("</dl>");
        html.Append("<h4>Task</h4><pre class=\"untrusted task\">").Append(Html.Text(view.Run?.Task ?? "(the run is not in the store)")).Append("</pre>");
        if (view.Steps is { } steps)
        {
            Conversation(html, steps.Where(s => s.Step < e.Step).ToList());
        }

        html.Append(e.Tool == "answer" ? "<h4>Proposed answer</h4>" : "<h4>Proposed call</h4>");
        html.Append("<pre class=\"untrusted action\">").Append(Html.Text(ActionText(e.Tool, e.Arguments))).Append("</pre>");
        Signals(html, e);
        HeatMapHtml(html, e.Trace);
        ModeHtml(html, e);
        if (e.ReviewStatus == "pending")
        {
            DecideForm(html, e, session);
        }
    }

    private static void Fact(StringBuilder html, string name, string? value) =>
        html.Append("<dt>").Append(Html.Text(name)).Append("</dt><dd>").Append(Html.Text(value)).Append("</dd>");

    private static void Conversation(StringBuilder html, List<StepRecord> before)
    {
        html.Append("<h4>Conversation up to the action</h4>");
        if (before.Count == 0)
        {
            html.Append("<p class=\"none\">This is the run's first step.</p>");
            return;
        }

        html.Append("<ol class=\"conversation\">");
        foreach (var s in before)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li><div class=\"who\">step {s.Step} · model · {Html.Text(SqliteName(s.Status))}");
            if (s.Decision is { } d)
            {
                html.Append(" · ").Append(Html.Text(SqliteName(d))).Append(" (").Append(Html.Text(s.Rule)).Append(')');
            }

            html.Append("</div><pre class=\"untrusted\">").Append(Html.Text(s.ModelLine)).Append("</pre>");
            if (s.Result is { } result)
            {
                html.Append(CultureInfo.InvariantCulture, $"<div class=\"who\">tool result · exit {result.ExitCode}{(result.Truncated ? " · truncated" : string.Empty)}</div>");
                html.Append("<pre class=\"untrusted result\">").Append(Html.Text(result.Stdout)).Append("</pre>");
                if (result.Stderr.Length > 0)
                {
                    html.Append("<pre class=\"untrusted stderr\">").Append(Html.Text(result.Stderr)).Append("</pre>");
                }
            }

            html.Append("</li>");
        }

        html.Append("</ol>");
    }

    /// <summary>The action as a person reads it: the tool and its arguments indented, or an answer's text.</summary>
    internal static string ActionText(string tool, string arguments)
    {
        using var document = JsonDocument.Parse(arguments);
        if (tool == "answer" && document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
        {
            return text.GetString()!;
        }

        return tool + " " + JsonSerializer.Serialize(document.RootElement, s_pretty);
    }

    private static void Signals(StringBuilder html, ActionLogEntry e)
    {
        html.Append("<h4>Gate signals</h4><table class=\"signals\"><thead><tr><th>tag</th><th>model temptation max</th><th>mean</th><th>any</th><th>classifier p</th></tr></thead><tbody>");
        foreach (var tag in e.Temptation.Keys.Union(e.Classifier.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            html.Append("<tr><th>").Append(Html.Text(tag)).Append("</th>");
            if (e.Temptation.TryGetValue(tag, out var t))
            {
                html.Append(CultureInfo.InvariantCulture, $"<td>{P(t.Max)}</td><td>{P(t.Mean)}</td><td>{P(t.Any)}</td>");
            }
            else
            {
                html.Append("<td colspan=\"3\">absent</td>");
            }

            html.Append("<td>").Append(e.Classifier.TryGetValue(tag, out var c) ? P(c) : "not run").Append("</td></tr>");
        }

        html.Append("</tbody></table>");
        if (e.Fired.Count > 0)
        {
            html.Append("<ul class=\"fired\">");
            foreach (var f in e.Fired)
            {
                html.Append("<li>").Append(Html.Text(f.Signal == GateSignal.Mode
                    ? $"mode rule: mean p(mode2) {P(f.Value)} < threshold {P(f.Threshold)} → {SqliteName(f.Level)}"
                    : $"{f.Tag}: {SqliteName(f.Signal)} {P(f.Value)} ≥ threshold {P(f.Threshold)} → {SqliteName(f.Level)}")).Append("</li>");
            }

            html.Append("</ul>");
        }
        else if (e.FiredTag is { } tag)
        {
            html.Append("<p>").Append(Html.Text($"Fired: {tag} by {SqliteName(e.FiredSignal)}.")).Append("</p>");
        }
        else if (e.Rule.StartsWith("tool:", StringComparison.Ordinal) || e.Rule.StartsWith("default:", StringComparison.Ordinal))
        {
            html.Append("<p class=\"none\">No tag crossed a threshold: a tool rule decided.</p>");
        }
        else
        {
            html.Append("<p class=\"none\">This entry does not record which signal crossed a threshold; the rule above says what decided.</p>");
        }
    }

    /// <summary>
    /// The model's mode signal: the mean and minimum p(Mode 2) over the action's tokens and, per token, the value as a
    /// number under it, shaded darker the lower it is (the more the model took the action for text, Mode 1).
    /// </summary>
    private static void ModeHtml(StringBuilder html, ActionLogEntry e)
    {
        html.Append("<h4>Per-token p(mode2)</h4>");
        html.Append("<p class=\"mode-summary\">p(mode2) ").Append(Html.Text(HeatMap.ModeSummary(e.Mode))).Append("</p>");
        var trace = e.Trace;
        if (!HeatMap.HasMode(trace))
        {
            return;
        }

        html.Append("<p class=\"heatline modeline\"><span class=\"tag\">p(mode2)</span><br>");
        for (var i = 0; i < trace.Tokens.Length; i++)
        {
            var token = trace.Tokens[i];
            var p = token.Mode2!.Value;
            var title = string.Create(CultureInfo.InvariantCulture, $"token {i + 1} “{HeatMap.Visible(token.Text)}”: p(mode2)={P(p)}{(p < 0.5 ? " (the model took it for text, Mode 1)" : string.Empty)}");
            html.Append(CultureInfo.InvariantCulture, $"<span class=\"tok h{HeatMap.Level(1 - p)}{(p < 0.5 ? " text-mode" : string.Empty)}\" title=\"{Html.Attr(title)}\">{Html.Text(HeatMap.Visible(token.Text))}</span>");
            html.Append(CultureInfo.InvariantCulture, $"<sub class=\"val\">{P(p)}{(p < 0.5 ? " <" : string.Empty)}</sub>");
        }

        html.Append("</p><p class=\"legend\">p(mode2) is the model's mode head's probability that it is acting (Mode 2) rather than writing text (Mode 1) at each token; shading darkens as it falls, and “&lt;” marks a token below 0.5.</p>");
    }

    private static void HeatMapHtml(StringBuilder html, ActionTrace trace)
    {
        html.Append("<h4>Per-token temptation</h4>");
        var columns = HeatMap.TagColumns(trace);
        if (trace.Tokens.Length == 0 || columns.Count == 0)
        {
            html.Append("<p class=\"none\">No per-token trace: the step was resumed from the journal or the model has no tokens for these tags.</p>");
            return;
        }

        html.Append("<div class=\"heat\">");
        foreach (var column in columns)
        {
            var tag = trace.Tags[column];
            var peak = HeatMap.Peak(trace, column);
            html.Append("<p class=\"heatline\"><span class=\"tag\">").Append(Html.Text(tag)).Append("</span> ");
            html.Append(CultureInfo.InvariantCulture, $"<span class=\"peak\">peak {P(HeatMap.P(trace, peak, column))} at token {peak + 1} “{Html.Text(HeatMap.Visible(trace.Tokens[peak].Text))}”</span><br>");
            for (var i = 0; i < trace.Tokens.Length; i++)
            {
                var token = trace.Tokens[i];
                var p = HeatMap.P(trace, i, column);
                var rose = HeatMap.Rose(trace, i, column);
                var surprising = HeatMap.Surprising(token);
                var title = string.Create(CultureInfo.InvariantCulture, $"token {i + 1} “{HeatMap.Visible(token.Text)}”: {tag} p={P(p)}")
                    + (rose ? string.Create(CultureInfo.InvariantCulture, $" (rose {HeatMap.Rise(trace, i, column):+0.000})") : string.Empty)
                    + string.Create(CultureInfo.InvariantCulture, $"; the model gave this token p={P(token.TokenProbability)}")
                    + (surprising ? string.Create(CultureInfo.InvariantCulture, $" (surprising, {HeatMap.SurprisalBits(token):0.0} bits)") : string.Empty);
                html.Append(CultureInfo.InvariantCulture, $"<span class=\"tok h{HeatMap.Level(p)}{(rose ? " rose" : string.Empty)}{(surprising ? " surprising" : string.Empty)}\" title=\"{Html.Attr(title)}\">{Html.Text(HeatMap.Visible(token.Text))}</span>");
                if (p >= HeatMap.Noticeable || rose)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<sub class=\"val\">{P(p)}{(rose ? "▲" : string.Empty)}</sub>");
                }
            }

            html.Append("</p>");
        }

        html.Append("<details open><summary>Values per token</summary><table class=\"heat-values\"><thead><tr><th>#</th><th>token</th>");
        foreach (var column in columns)
        {
            html.Append("<th>").Append(Html.Text(trace.Tags[column])).Append(" p</th>");
        }

        html.Append("<th>token p</th><th>surprisal</th></tr></thead><tbody>");
        for (var i = 0; i < trace.Tokens.Length; i++)
        {
            var token = trace.Tokens[i];
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{i + 1}</td><td><span class=\"tok\">{Html.Text(HeatMap.Visible(token.Text))}</span></td>");
            foreach (var column in columns)
            {
                var p = HeatMap.P(trace, i, column);
                var rose = HeatMap.Rose(trace, i, column);
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"h{HeatMap.Level(p)}\">{P(p)}{(rose ? " ▲ rose" : string.Empty)}</td>");
            }

            var surprising = HeatMap.Surprising(token);
            html.Append(CultureInfo.InvariantCulture, $"<td>{P(token.TokenProbability)}</td><td>{HeatMap.SurprisalBits(token):0.0} bits{(surprising ? " ! surprising" : string.Empty)}</td></tr>");
        }

        html.Append("</tbody></table></details>");
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"legend\">Shading darkens with the tag's probability, in tenths; the number under a token is its probability where it is at least {P(HeatMap.Noticeable)}. ▲ marks a token where it rose by at least {P(HeatMap.RiseThreshold)} from the token before; a dotted underline and “! surprising” mark a token the model itself gave less than {P(HeatMap.SurprisingBelow)}.</p></div>");
    }

    private static void DecideForm(StringBuilder html, ActionLogEntry e, ReviewSession? session)
    {
        if (e.Decision != Decision.Escalate)
        {
            return;
        }

        if (session is null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"none\">Sign in on this page to decide, or use POST /approvals/{e.Id}/approve or /deny with the token.</p>");
            return;
        }

        html.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" class=\"decide\" action=\"/entries/{e.Id}/deny\">");
        html.Append(CsrfField(session));
        html.Append("<input type=\"hidden\" name=\"arguments_hash\" value=\"").Append(Html.Attr(e.ArgumentsHash)).Append("\">");
        html.Append(CultureInfo.InvariantCulture, $"<label>Reason (recorded, and shown to the model on deny) <textarea name=\"reason\" data-entry=\"{e.Id}\" required maxlength=\"2000\"></textarea></label>");
        html.Append(CultureInfo.InvariantCulture, $"<button type=\"submit\" class=\"approve\" formaction=\"/entries/{e.Id}/approve\">Approve exactly this call</button> <button type=\"submit\" class=\"deny\">Deny</button>");
        html.Append("<p class=\"hash\">The decision is bound to call hash ").Append(Html.Text(e.ArgumentsHash)).Append(".</p></form>");
    }

    private static void Filters(StringBuilder html, LogFilter f)
    {
        html.Append("<form method=\"get\" action=\"/\" class=\"filters\">");
        Input(html, "run", "run", f.Run);
        Input(html, "tool", "tool", f.Tool);
        Input(html, "tag", "tag", f.Tag);
        Select(html, "decision", "decision", f.Decision, ["escalate", "block"]);
        Select(html, "status", "status", f.Status, LogFilter.Statuses);
        Input(html, "since", "since (UTC)", f.Since, "datetime-local");
        Input(html, "until", "until (UTC)", f.Until, "datetime-local");
        Input(html, "limit", "most", f.Limit, "number");
        html.Append("<button type=\"submit\">Filter</button> <a href=\"/\">clear</a></form>");
    }

    private static void Input(StringBuilder html, string name, string label, string? value, string type = "text") =>
        html.Append(CultureInfo.InvariantCulture, $"<label>{Html.Text(label)} <input name=\"{name}\" type=\"{type}\" value=\"{Html.Attr(value)}\"></label>");

    private static void Select(StringBuilder html, string name, string label, string? value, IEnumerable<string> options)
    {
        html.Append(CultureInfo.InvariantCulture, $"<label>{Html.Text(label)} <select name=\"{name}\"><option value=\"\">any</option>");
        foreach (var option in options)
        {
            html.Append(CultureInfo.InvariantCulture, $"<option{(option == value ? " selected" : string.Empty)}>{Html.Text(option)}</option>");
        }

        html.Append("</select></label>");
    }

    private static void LogTable(StringBuilder html, IReadOnlyList<EntryView> log)
    {
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"count\">{log.Count} entries, newest first.</p>");
        html.Append("<table class=\"log\"><thead><tr><th>id</th><th>created (UTC)</th><th>run / step</th><th>task</th><th>proposed action</th><th>decision</th><th>signals</th><th>rule</th><th>policy</th><th>review</th></tr></thead><tbody>");
        foreach (var view in log)
        {
            var e = view.Entry;
            html.Append(CultureInfo.InvariantCulture, $"<tr id=\"row-{e.Id}\"><td><a href=\"/entries/{e.Id}\">{e.Id}</a></td><td>{e.CreatedAt:yyyy-MM-dd HH:mm:ss}</td>");
            html.Append("<td>").Append(Html.Text(e.RunId)).Append(" / ").Append(e.Step.ToString(CultureInfo.InvariantCulture)).Append("</td>");
            html.Append("<td class=\"untrusted\">").Append(Html.Text(Shorten(view.Run?.Task ?? "(run not found)", 160))).Append("</td>");
            html.Append("<td class=\"untrusted\"><code>").Append(Html.Text(Shorten(e.Tool + " " + e.Arguments, 160))).Append("</code></td>");
            html.Append("<td>").Append(Html.Text(SqliteName(e.Decision))).Append("</td><td>");
            foreach (var (tag, t) in e.Temptation)
            {
                html.Append("<div>").Append(Html.Text(tag)).Append(CultureInfo.InvariantCulture, $": model any {P(t.Any)} max {P(t.Max)}");
                if (e.Classifier.TryGetValue(tag, out var c))
                {
                    html.Append(CultureInfo.InvariantCulture, $", classifier {P(c)}");
                }

                html.Append("</div>");
            }

            foreach (var (tag, c) in e.Classifier.Where(c => !e.Temptation.ContainsKey(c.Key)))
            {
                html.Append("<div>").Append(Html.Text(tag)).Append(CultureInfo.InvariantCulture, $": classifier {P(c)}</div>");
            }

            html.Append("</td><td>").Append(Html.Text(e.Rule)).Append("</td><td>").Append(Html.Text(e.PolicyVersion)).Append("</td>");
            html.Append("<td class=\"status\">").Append(Html.Text(e.ReviewStatus + (e.Reviewer is null ? string.Empty : " by " + e.Reviewer))).Append("</td></tr>");
        }

        html.Append("</tbody></table>");
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    private static string P(double p) => p.ToString("0.000", CultureInfo.InvariantCulture);

    private static string SqliteName<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
