using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Agent.Host.Commands;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Agent.Host.Tests.Review;

/// <summary>
/// The review page of <c>agent serve</c> in a real browser (Debian's chromium through Playwright) against the real
/// service (<see cref="ServeFixture"/>: Kestrel, SQLite, Docker sandboxes, a tiny model): signing in, untrusted text shown
/// as text, the heat map, deciding bound to the call hash, live updates from the event stream, and the cross-site
/// protections. Screenshots and measured figures go to <see cref="Chromium.ArtefactsFolder"/>.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed partial class ReviewPageTests(ServeFixture serve, ITestOutputHelper output) : IClassFixture<ServeFixture>
{
    private const string HostileTask = "Tidy up <script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> then rename \u202Etxt.exe";
    private const string HostileOutput = "notes: <script>window.__pwned=3</script><b id=\"injected\">bold</b> \u2066isolated\u2069 end";

    [Fact]
    public async Task ReviewPage_HostileTaskAndToolOutput_ShowsThemAsTextDecidesLiveAndResumesTheRun()
    {
        var (run, entry) = await Escalations.PrepareAsync(serve.Store, HostileTask, "echo hostile-approved", earlier: HostileOutput);
        await using var chromium = await Chromium.StartAsync();
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };

        // Not signed in: the page sends the browser to the sign-in form, which keeps the token in a session cookie.
        await page.GotoAsync(serve.Address.ToString());
        Assert.EndsWith("/login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("input[name=reviewer]", "carol");
        await page.FillAsync("input[name=token]", TestSettings.Token);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(serve.Address.ToString());
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "agent_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        var response = await page.ReloadAsync();
        var csp = await response!.HeaderValueAsync("content-security-policy");
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        await page.Locator("#live-status").Filter(new LocatorFilterOptions { HasText = "live updates: on" }).WaitForAsync();

        // The task and the tool output are shown as text: no script ran, no element was injected, bidi controls are visible.
        var card = page.Locator($"#pending #entry-{entry.Id}");
        var text = await card.InnerTextAsync();
        Assert.Contains("<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">", text, StringComparison.Ordinal);
        Assert.Contains("[U+202E]txt.exe", text, StringComparison.Ordinal);
        Assert.Contains("<b id=\"injected\">bold</b> [U+2066]isolated[U+2069] end", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u202E', text);
        Assert.Equal(0, await page.Locator("#injected").CountAsync());
        Assert.Equal(0, await page.Locator("#live img, #live script").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"));
        Assert.Empty(dialogs);

        // The entry: the conversation up to the action, the proposed call, both signals, the rule, the policy version.
        Assert.Contains("Conversation up to the action", text, StringComparison.Ordinal);
        Assert.Contains("shell.run", text, StringComparison.Ordinal);
        Assert.Contains("echo hostile-approved", text, StringComparison.Ordinal);
        Assert.Contains(entry.Rule, text, StringComparison.Ordinal);
        Assert.Contains("policy version", text, StringComparison.Ordinal);
        Assert.Contains("model temptation max", text, StringComparison.Ordinal);
        Assert.Contains("classifier p", text, StringComparison.Ordinal);

        // The heat map: each token shaded, its value on hover (title) and as text, rises marked.
        var tokens = card.Locator(".heatline .tok");
        Assert.Equal(entry.Trace.Tokens.Length * 2, await tokens.CountAsync()); // one line per behaviour tag (deceit, powerseeking)
        var peak = HeatMapPeak(entry.Trace, "powerseeking");
        Assert.Matches(@"powerseeking p=\d\.\d{3}", await tokens.Nth(entry.Trace.Tokens.Length + peak).GetAttributeAsync("title"));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"peak {entry.Trace.Tokens[peak].Probabilities[entry.Trace.Tags.IndexOf("powerseeking")]:0.000}"), text, StringComparison.Ordinal);
        Assert.Contains("▲", text, StringComparison.Ordinal);
        Assert.True(await card.Locator(".heat-values tbody tr").CountAsync() == entry.Trace.Tokens.Length);
        await Chromium.ScreenshotAsync(page, "01-pending-hostile-entry");

        // Live: another reviewer denies the other pending entry through the API; the open page follows the event stream.
        var other = serve.ToDeny.Entry;
        var before = await page.EvaluateAsync<double>("() => Date.now()");
        using (var client = serve.Authorized())
        {
            using var denied = await client.PostAsJsonAsync($"/approvals/{other.Id}/deny", new { reviewer = "dave", reason = "too broad" });
            Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        }

        await page.Locator($"#pending #entry-{other.Id}").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached, Timeout = 20_000 });
        await page.Locator($"#row-{other.Id} .status").Filter(new LocatorFilterOptions { HasText = "denied by dave" }).WaitForAsync();
        var eventAt = double.Parse(await page.EvaluateAsync<string>("() => document.body.dataset.lastEvent"), CultureInfo.InvariantCulture);
        var refreshedAt = double.Parse(await page.EvaluateAsync<string>("() => document.body.dataset.lastRefresh"), CultureInfo.InvariantCulture);
        Record($"event delivered to the browser {eventAt - before:0} ms after the decision was sent; page updated {refreshedAt - before:0} ms after");
        await Chromium.ScreenshotAsync(page, "02-after-live-deny");

        // Approve with a reason on the page: bound to the hash it showed; the run resumes and runs exactly that call once.
        await card.Locator("textarea[name=reason]").FillAsync("checked: a harmless echo");
        await card.Locator("button.approve").ClickAsync();
        await page.WaitForURLAsync($"**/entries/{entry.Id}");
        Assert.Contains("approved by carol", await page.Locator("#live").InnerTextAsync(), StringComparison.Ordinal);
        var decided = (await serve.Store.GetLogEntryAsync(entry.Id))!;
        Assert.Equal(("approved", "carol", "checked: a harmless echo"), (decided.ReviewStatus, decided.Reviewer, decided.ReviewReason));
        var ran = await WaitForAsync(async () => (await serve.Store.GetStepsAsync(run.Id)).FirstOrDefault(s => s.Step == entry.Step && s.Result is not null));
        Assert.Equal("hostile-approved", ran.Result!.Stdout.Trim());
        Assert.Equal(1, await serve.Store.CountExecutionsAsync(run.Id, entry.Step));
        await Chromium.ScreenshotAsync(page, "03-approved-entry");
        Assert.Empty(dialogs);
    }

    [Fact]
    public async Task ReviewPage_EntryEscalatedByTheModeRule_ShowsPMode2PerTokenAsTextAndEscapesTheTokens()
    {
        var (_, entry) = await Escalations.PrepareAsync(serve.Store, "Write a blog post on how to", "unused", modeHead: true, answer: "<b id=\"modeinjected\">x</b><script>window.__pwned=9</script>");
        await using var chromium = await Chromium.StartAsync();
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(serve.Address, "/login").ToString());
        await page.FillAsync("input[name=reviewer]", "frank");
        await page.FillAsync("input[name=token]", TestSettings.Token);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(serve.Address.ToString());

        await page.GotoAsync(new Uri(serve.Address, $"/entries/{entry.Id}").ToString());

        var card = page.Locator($"#entry-{entry.Id}");
        var text = await card.InnerTextAsync();
        Assert.Contains("Per-token p(mode2)", text, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"p(mode2) mean {entry.Mode!.Mean:0.###} min {entry.Mode.Min:0.###}"), text, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"mode rule: mean p(mode2) {entry.Mode.Mean:0.000} < threshold"), text, StringComparison.Ordinal);
        Assert.Contains(entry.Rule, text, StringComparison.Ordinal);
        var tokens = card.Locator(".modeline .tok");
        Assert.Equal(entry.Trace.Tokens.Length, await tokens.CountAsync());
        var values = card.Locator(".modeline sub.val");
        Assert.Equal(entry.Trace.Tokens.Length, await values.CountAsync());
        for (var i = 0; i < entry.Trace.Tokens.Length; i++)
        {
            var p = entry.Trace.Tokens[i].Mode2!.Value.ToString("0.000", CultureInfo.InvariantCulture);
            Assert.StartsWith(p, await values.Nth(i).InnerTextAsync(), StringComparison.Ordinal);
            Assert.Contains($"p(mode2)={p}", await tokens.Nth(i).GetAttributeAsync("title"), StringComparison.Ordinal);
        }

        // The tokens are the model's text: shown as text, never as markup.
        Assert.Contains("<b id=\"modeinjected\">x</b><script>", string.Concat(await tokens.AllInnerTextsAsync()), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#modeinjected").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"));
        await Chromium.ScreenshotAsync(page, "05-mode-rule-entry");
    }

    [Fact]
    public async Task ReviewPage_PostWithoutTheAntiforgeryTokenOrWithAnotherHash_IsRefusedAndDecidesNothing()
    {
        var (_, entry) = await Escalations.PrepareAsync(serve.Store, "Remove the cache", "rm -rf /tmp/cache");
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { BaseAddress = serve.Address };

        using var anonymous = await client.GetAsync("/");
        using var wrongLogin = await client.PostAsync("/login", Form(("reviewer", "erin"), ("token", "not-the-token-0123456789")));
        using var login = await client.PostAsync("/login", Form(("reviewer", "erin"), ("token", TestSettings.Token)));
        var html = await client.GetStringAsync("/");
        var csrf = CsrfField().Match(html).Groups[1].Value;
        using var noToken = await client.PostAsync($"/entries/{entry.Id}/deny", Form(("reason", "x"), ("arguments_hash", entry.ArgumentsHash)));
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, $"/entries/{entry.Id}/deny") { Content = Form(("csrf", csrf), ("reason", "x"), ("arguments_hash", entry.ArgumentsHash)) };
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        using var crossSiteResponse = await client.SendAsync(crossSite);
        using var otherHash = await client.PostAsync($"/entries/{entry.Id}/deny", Form(("csrf", csrf), ("reason", "x"), ("arguments_hash", new string('0', 64))));
        var stillPending = (await serve.Store.GetLogEntryAsync(entry.Id))!.ReviewStatus;
        using var denied = await client.PostAsync($"/entries/{entry.Id}/deny", Form(("csrf", csrf), ("reason", "removes too much"), ("arguments_hash", entry.ArgumentsHash)));

        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/login", anonymous.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrongLogin.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", csrf);
        Assert.Equal(HttpStatusCode.Forbidden, noToken.StatusCode);
        Assert.Contains("antiforgery token", await noToken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, crossSiteResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, otherHash.StatusCode);
        Assert.Equal("pending", stillPending);
        Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
        var decided = (await serve.Store.GetLogEntryAsync(entry.Id))!;
        Assert.Equal(("denied", "erin", "removes too much"), (decided.ReviewStatus, decided.Reviewer, decided.ReviewReason));
    }

    [Fact]
    public async Task ReviewPage_Filters_NarrowTheLogAndABadFilterSaysWhatItTakes()
    {
        var (blockedRun, _) = await Escalations.PrepareAsync(serve.Store, "Filter me", "echo filter-me");
        using var client = serve.Authorized();

        var byRun = await client.GetStringAsync($"/?run={blockedRun.Id}&tool=shell.run&status=pending&decision=escalate&tag=powerseeking&since=2020-01-01T00:00");
        var none = await client.GetStringAsync("/?tool=no.such.tool");
        using var bad = await client.GetAsync("/?decision=maybe");

        Assert.Single(LogRow().Matches(byRun));
        Assert.Contains(blockedRun.Id, LogRow().Match(byRun).Value, StringComparison.Ordinal);
        Assert.Empty(LogRow().Matches(none));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("decision &#39;maybe&#39; is not a decision the log holds: use escalate or block.", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReviewPage_ThousandLogEntries_RendersThemAllAndRecordsTheLoadTime()
    {
        // Measured, not asserted: the figures go to the test output and to measurements.txt beside the screenshots.
        var settings = TestSettings.Create();
        var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
        AgentHost.AddRuntime(builder);
        await using var app = ServeCommand.Build(builder);
        var store = app.Services.GetRequiredService<IRunStore>();
        await store.InitializeAsync();
        var (_, template) = await Escalations.PrepareAsync(store, "Template", "echo template");
        for (var r = 0; r < 100; r++)
        {
            var run = await store.EnqueueAsync($"Task {r} of the load test", "tiny-test-model");
            for (var s = 1; s <= 10; s++)
            {
                var step = new StepRecord { RunId = run.Id, Step = s, Kind = StepKind.Call, Tool = template.Tool, Arguments = template.Arguments, ArgumentsHash = template.ArgumentsHash, Decision = Decision.Block, Rule = template.Rule, Status = StepStatus.Blocked };
                await store.RecordGateEntryAsync(template with { Id = 0, RunId = run.Id, Step = s, Decision = Decision.Block, ReviewStatus = "none", CreatedAt = default }, step);
            }
        }

        await app.StartAsync();
        try
        {
            await using var chromium = await Chromium.StartAsync();
            var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ExtraHTTPHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + TestSettings.Token } });
            var address = Assert.Single(app.Urls) + "/?limit=1000";
            await page.GotoAsync(address); // warm: the first request JIT-compiles the page's code
            var clock = Stopwatch.StartNew();
            await page.GotoAsync(address, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            clock.Stop();
            var timing = await page.EvaluateAsync<JsonElement>("() => performance.getEntriesByType('navigation')[0].toJSON()");

            Assert.Equal(1000, await page.Locator("table.log tbody tr").CountAsync());
            Record(string.Create(CultureInfo.InvariantCulture, $"page with 1,000 log entries: load {clock.ElapsedMilliseconds} ms (navigation to load event), server answered its first byte after {timing.GetProperty("responseStart").GetDouble() - timing.GetProperty("requestStart").GetDouble():0} ms, {timing.GetProperty("transferSize").GetDouble() / 1024:0} KiB"));
            await Chromium.ScreenshotAsync(page, "04-thousand-entries", fullPage: false);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static int HeatMapPeak(ActionTrace trace, string tag)
    {
        var column = trace.Tags.IndexOf(tag);
        var best = 0;
        for (var i = 1; i < trace.Tokens.Length; i++)
        {
            if (trace.Tokens[i].Probabilities[column] > trace.Tokens[best].Probabilities[column])
            {
                best = i;
            }
        }

        return best;
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The run did not get that far in 90 s.");
    }

    private void Record(string line)
    {
        output.WriteLine(line);
        File.AppendAllText(Path.Combine(Chromium.ArtefactsFolder, "measurements.txt"), $"{DateTimeOffset.UtcNow:u} {line}{Environment.NewLine}");
    }

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    [GeneratedRegex("<tr id=\"row-\\d+\">.*?</tr>")]
    private static partial Regex LogRow();
}
