using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using Agent.Host.Commands;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Host.Tests;

/// <summary>
/// The HTTP API of <c>agent serve</c>, served for real by Kestrel (<see cref="ServeFixture"/>): the bearer token on every
/// endpoint, runs, approvals, and loopback-only binding.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class HttpApiTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    private static readonly (HttpMethod Method, string Path)[] Endpoints =
    [
        (HttpMethod.Post, "/runs"), (HttpMethod.Get, "/runs"), (HttpMethod.Get, "/runs/x"), (HttpMethod.Get, "/runs/x/events"),
        (HttpMethod.Get, "/approvals"), (HttpMethod.Get, "/approvals/1"), (HttpMethod.Post, "/approvals/1/approve"), (HttpMethod.Post, "/approvals/1/deny"),
        (HttpMethod.Get, "/no-such-endpoint"), (HttpMethod.Get, "/events"), (HttpMethod.Get, "/openapi/v1.json"),
    ];

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-0123456789abcdef")]
    [InlineData("Bearer " + TestSettings.Token + "x")]
    [InlineData(TestSettings.Token)]
    [InlineData("Basic " + TestSettings.Token)]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    public async Task Request_MissingOrWrongToken_Returns401OnEveryEndpoint(string? authorization)
    {
        using var client = new HttpClient { BaseAddress = serve.Address };
        var runsBefore = (await serve.Store.ListRunsAsync(1000)).Count;

        foreach (var (method, path) in Endpoints)
        {
            using var request = new HttpRequestMessage(method, path);
            if (method == HttpMethod.Post)
            {
                request.Content = JsonContent.Create(new { task = "List the files", reviewer = "mallory" });
            }

            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            using var response = await client.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {(int)response.StatusCode}");
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "Authorization: Bearer");
        }

        Assert.Equal(runsBefore, (await serve.Store.ListRunsAsync(1000)).Count);
    }

    [Theory]
    [InlineData("bearer " + TestSettings.Token)]
    [InlineData("BEARER " + TestSettings.Token)]
    public async Task Request_SchemeInAnyCase_IsAccepted(string authorization)
    {
        // The authentication scheme is case-insensitive (RFC 9110, 11.1); only the token must match exactly.
        using var client = new HttpClient { BaseAddress = serve.Address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/runs");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task PostRuns_WithToken_Returns202ListsTheRunAndTheWorkerRunsIt()
    {
        using var client = serve.Authorized();

        using var posted = await client.PostAsJsonAsync("/runs", new { task = "List the files in /workspace" });

        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var body = await posted.Content.ReadFromJsonAsync<JsonElement>();
        var runId = body.GetProperty("run_id").GetString()!;
        Assert.Equal("queued", body.GetProperty("status").GetString());
        var list = await client.GetFromJsonAsync<JsonElement>("/runs");
        Assert.Contains(list.EnumerateArray(), r => r.GetProperty("run_id").GetString() == runId && r.GetProperty("task").GetString() == "List the files in /workspace");

        // The served worker takes the run: the Lister model lists the workspace at both steps (Agent:MaxSteps = 2).
        var run = await WaitForStatusAsync(client, runId, "limit");
        var actions = run.GetProperty("report").GetProperty("actions").EnumerateArray().ToList();
        Assert.Equal(2, actions.Count);
        Assert.All(actions, a =>
        {
            Assert.Equal("files.list", a.GetProperty("tool").GetString());
            Assert.Equal("allow", a.GetProperty("decision").GetString());
            Assert.Equal(0, a.GetProperty("result").GetProperty("exit_code").GetInt32());
        });
        var events = await client.GetStringAsync($"/runs/{runId}/events");
        Assert.Contains("event: step", events, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"limit\"", events, StringComparison.Ordinal);
        using var missing = await client.GetAsync("/runs/no-such-run");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var empty = await client.PostAsJsonAsync("/runs", new { task = " " });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task Approve_PendingEscalation_DecidesOnceResumesTheRunAnd409sASecondDecision()
    {
        using var client = serve.Authorized();
        var (run, entry) = serve.ToApprove;

        var pending = await client.GetFromJsonAsync<JsonElement>("/approvals?status=pending");
        Assert.Contains(pending.EnumerateArray(), e => e.GetProperty("id").GetInt64() == entry.Id);
        var one = await client.GetFromJsonAsync<JsonElement>($"/approvals/{entry.Id}");
        Assert.Equal("shell.run", one.GetProperty("tool").GetString());
        Assert.Equal("escalate", one.GetProperty("decision").GetString());
        // The trace, arguments and temptation are JSON objects, as in GET /runs/{id} and the CLI: never strings holding JSON.
        Assert.Equal(JsonSerializer.Serialize(entry.Trace), one.GetProperty("trace").GetRawText());
        Assert.Equal(JsonValueKind.Object, one.GetProperty("arguments").ValueKind);
        Assert.Equal(JsonValueKind.Object, one.GetProperty("temptation").GetProperty("powerseeking").ValueKind);
        using var anonymous = await client.PostAsJsonAsync($"/approvals/{entry.Id}/approve", new { reviewer = " " });
        Assert.Equal(HttpStatusCode.BadRequest, anonymous.StatusCode);

        using var approved = await client.PostAsJsonAsync($"/approvals/{entry.Id}/approve", new { reviewer = "alice", reason = "harmless" });
        using var again = await client.PostAsJsonAsync($"/approvals/{entry.Id}/deny", new { reviewer = "bob" });

        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var decided = await approved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("approved", decided.GetProperty("review_status").GetString());
        Assert.Equal("alice", decided.GetProperty("reviewer").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already approved", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The worker resumes the parked run and runs exactly the approved call once.
        var resumed = await WaitForStatusAsync(client, run.Id, "limit");
        var first = resumed.GetProperty("report").GetProperty("actions")[0];
        Assert.Equal("approved-ran", first.GetProperty("result").GetProperty("stdout").GetString()!.Trim());
        Assert.Equal(1, await serve.Store.CountExecutionsAsync(run.Id, 1));
    }

    [Fact]
    public async Task Deny_PendingEscalation_RecordsTheDenialAnd409sForUnknownOrDecidedEntries()
    {
        using var client = serve.Authorized();
        var (_, entry) = serve.ToDeny;

        using var denied = await client.PostAsJsonAsync($"/approvals/{entry.Id}/deny", new { reviewer = "bob", reason = "too broad" });
        using var again = await client.PostAsJsonAsync($"/approvals/{entry.Id}/approve", new { reviewer = "alice" });
        using var unknown = await client.PostAsJsonAsync("/approvals/999999/approve", new { reviewer = "alice" });
        using var unknownGet = await client.GetAsync("/approvals/999999");

        Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        Assert.Equal("denied", (await denied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("review_status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownGet.StatusCode);
        Assert.Equal(0, await serve.Store.CountExecutionsAsync(entry.RunId, 1));
    }

    [Fact]
    public async Task Start_LoopbackUrl_ListensOnLoopbackOnly()
    {
        Assert.Equal("127.0.0.1", serve.Address.Host);
        var others = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .ToList();

        foreach (var address in others)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var refused = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(address, serve.Address.Port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        using var loopback = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await loopback.ConnectAsync(IPAddress.Loopback, serve.Address.Port);
        Assert.True(loopback.Connected);
    }

    [Theory]
    [InlineData("http://0.0.0.0:5380")]
    [InlineData("http://192.0.2.2:5380")]
    [InlineData("http://[::]:5380")]
    public void Build_NonLoopbackUrl_IsRefusedNamingHttpUrl(string url)
    {
        var settings = TestSettings.Create(edit: json => json["Http"]!["Url"] = url);

        // Refused where the configuration is validated, before the verb builds anything.
        var refused = Assert.Throws<ConfigurationException>(() =>
        {
            var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
            AgentHost.AddRuntime(builder);
            ServeCommand.Build(builder);
        });

        Assert.Contains($"Http:Url '{url}' is not a loopback address", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NoToken_IsRefusedNamingHttpToken()
    {
        var settings = TestSettings.Create(edit: json => json["Http"]!["Token"] = null);
        var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
        AgentHost.AddRuntime(builder);

        var refused = Assert.Throws<ConfigurationException>(() => ServeCommand.Build(builder));

        Assert.Contains("Http:Token is not set", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/runs", "application/json", "{not json", HttpStatusCode.BadRequest, "JSON object of the form")]
    [InlineData("/runs", "application/json", "{\"task\": 5}", HttpStatusCode.BadRequest, "$.task")]
    [InlineData("/runs", "application/json", "[\"List the files\"]", HttpStatusCode.BadRequest, "JSON object of the form")]
    [InlineData("/runs", "application/json", "null", HttpStatusCode.BadRequest, "{\"task\"")]
    [InlineData("/runs", "application/json", "", HttpStatusCode.BadRequest, "{\"task\"")]
    [InlineData("/runs", "application/json", "{}", HttpStatusCode.BadRequest, "'task'")]
    [InlineData("/runs", "text/plain", "List the files", HttpStatusCode.UnsupportedMediaType, "application/json")]
    [InlineData("/runs", null, "{\"task\": \"List the files\"}", HttpStatusCode.UnsupportedMediaType, "application/json")]
    [InlineData("/approvals/1/approve", "application/json", "{\"reviewer\": [1]}", HttpStatusCode.BadRequest, "$.reviewer")]
    [InlineData("/approvals/1/deny", "application/xml", "<reviewer/>", HttpStatusCode.UnsupportedMediaType, "application/json")]
    public async Task Post_MalformedOrWronglyTypedBody_Returns4xxProblemSayingWhatWasWrong(string path, string? contentType, string body, HttpStatusCode status, string says)
    {
        using var client = serve.Authorized();
        var runsBefore = (await serve.Store.ListRunsAsync(1000)).Count;
        using var content = new StringContent(body);
        content.Headers.ContentType = contentType is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);

        using var response = await client.PostAsync(path, content);

        await AssertProblemAsync(response, status, says);
        Assert.Equal(runsBefore, (await serve.Store.ListRunsAsync(1000)).Count);
    }

    [Fact]
    public async Task PostRuns_BodyNotUtf8_Returns400ProblemNamingUtf8()
    {
        using var client = serve.Authorized();
        var runsBefore = (await serve.Store.ListRunsAsync(1000)).Count;
        using var content = new ByteArrayContent([.. "{\"task\": \""u8, 0xFF, 0xFE, 0x41, .. "\"}"u8]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync("/runs", content);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "UTF-8");
        Assert.Equal(runsBefore, (await serve.Store.ListRunsAsync(1000)).Count);
    }

    [Fact]
    public async Task PostRuns_TaskOverMaxTaskBytes_Returns413ProblemAndStoresNothing()
    {
        using var client = serve.Authorized();
        var runsBefore = (await serve.Store.ListRunsAsync(1000)).Count;

        using var response = await client.PostAsJsonAsync("/runs", new { task = new string('x', 70 * 1024) });

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "Agent:MaxTaskBytes");
        Assert.Equal(runsBefore, (await serve.Store.ListRunsAsync(1000)).Count);
    }

    [Fact]
    public async Task PostRuns_TenMegabyteBody_Returns413ProblemBeforeReadingIt()
    {
        using var client = serve.Authorized();
        var runsBefore = (await serve.Store.ListRunsAsync(1000)).Count;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/runs")
        {
            Content = new StringContent($"{{\"task\": \"{new string('x', 10 * 1024 * 1024)}\"}}", System.Text.Encoding.UTF8, "application/json"),
        };
        // As curl does for a large body: the server answers before the body is sent, so the refusal reaches the client.
        request.Headers.ExpectContinue = true;

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "bytes");
        Assert.Equal(runsBefore, (await serve.Store.ListRunsAsync(1000)).Count);
    }

    [Theory]
    [InlineData("GET", "/runs/no-such-run", HttpStatusCode.NotFound, "no-such-run")]
    [InlineData("GET", "/runs/no-such-run/events", HttpStatusCode.NotFound, "no-such-run")]
    [InlineData("GET", "/approvals/999999", HttpStatusCode.NotFound, "999999")]
    [InlineData("GET", "/no-such-endpoint", HttpStatusCode.NotFound, "/no-such-endpoint")]
    [InlineData("DELETE", "/runs", HttpStatusCode.MethodNotAllowed, "DELETE")]
    [InlineData("GET", "/runs?limit=abc", HttpStatusCode.BadRequest, "limit")]
    [InlineData("GET", "/runs?limit=-1", HttpStatusCode.BadRequest, "limit")]
    [InlineData("GET", "/approvals?limit=100000", HttpStatusCode.BadRequest, "limit")]
    [InlineData("GET", "/approvals?status=maybe", HttpStatusCode.BadRequest, "status")]
    [InlineData("GET", "/approvals/abc", HttpStatusCode.NotFound, "/approvals/abc")]
    public async Task Request_UnknownResourceOrBadQuery_Returns4xxProblemSayingWhatWasWrong(string method, string path, HttpStatusCode status, string says)
    {
        using var client = serve.Authorized();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await AssertProblemAsync(response, status, says);
    }

    [Fact]
    public async Task Healthz_NoToken_Returns200WithAStatus()
    {
        using var client = new HttpClient { BaseAddress = serve.Address };

        using var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("alive", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_NoTokenAllUp_Returns200ReportingModelDockerAndDatabase()
    {
        // The model loads in the background (the first probe starts it), so the answer turns 200 within a load's time.
        using var client = new HttpClient { BaseAddress = serve.Address };
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        while ((response = await client.GetAsync("/readyz")).StatusCode != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "model: ");
            response.Dispose();
            await Task.Delay(200);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var checks = JsonDocument.Parse(body).RootElement.GetProperty("checks");
            Assert.Equal(["database", "docker", "model"], checks.EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal));
            Assert.All(checks.EnumerateObject(), c => Assert.Equal("ready", c.Value.GetString()));
        }
    }

    [Fact]
    public async Task Readyz_DockerDoesNotAnswer_Returns503ProblemNamingDocker()
    {
        var missing = Path.Combine(Path.GetTempPath(), "agent-host-tests", "no-docker-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        var settings = TestSettings.Create(edit: json => json["Sandbox"]!["DockerEndpoint"] = "unix://" + missing);
        var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
        AgentHost.AddRuntime(builder);
        await using var app = ServeCommand.Build(builder);
        await app.Services.GetRequiredService<Agent.Runtime.Storage.IRunStore>().InitializeAsync();
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(Assert.Single(app.Urls)) };

            using var response = await client.GetAsync("/readyz");
            using var alive = await client.GetAsync("/healthz");

            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "docker: the Docker daemon at unix://" + missing);
            var checks = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
            Assert.Equal("ready", checks.GetProperty("database").GetString());
            Assert.NotEqual("ready", checks.GetProperty("docker").GetString());
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Decide_AlreadyDecidedOrUnknownEntry_Returns409Problem()
    {
        using var client = serve.Authorized();

        using var unknown = await client.PostAsJsonAsync("/approvals/999998/approve", new { reviewer = "alice" });
        using var anonymous = await client.PostAsJsonAsync("/approvals/999998/deny", new { reviewer = " " });

        await AssertProblemAsync(unknown, HttpStatusCode.Conflict, "999998");
        await AssertProblemAsync(anonymous, HttpStatusCode.BadRequest, "'reviewer'");
    }

    [Fact]
    public async Task RunEvents_ResumedFromLastEventId_SendOnlyWhatChangedWokenByTheStore()
    {
        var (run, entry) = await Escalations.PrepareAsync(serve.Store, "Stream me", "echo streamed");
        using var client = serve.Authorized();
        client.Timeout = Timeout.InfiniteTimeSpan;

        // From the start: the pending step, then the parked status; every event has an id, and arguments are an object.
        var first = await ReadEventsAsync(client, $"/runs/{run.Id}/events", null, 3);
        Assert.Equal(["ready", "step", "status"], first.Select(e => e.EventType));
        Assert.Equal(["none/", "none/1:pending", "parked/1:pending"], first.Select(e => e.EventId));
        using (var step = JsonDocument.Parse(first[1].Data))
        {
            Assert.Equal(JsonValueKind.Object, step.RootElement.GetProperty("arguments").ValueKind);
            Assert.Equal("echo streamed", step.RootElement.GetProperty("arguments").GetProperty("command").GetString());
            Assert.Equal(JsonValueKind.Object, step.RootElement.GetProperty("temptation").GetProperty("powerseeking").ValueKind);
        }

        // Resumed after the last id: nothing is sent again; the decision wakes the stream at once.
        var resumed = ReadEventsAsync(client, $"/runs/{run.Id}/events", first[2].EventId, 2, onOpen: async () =>
        {
            await serve.Store.DecideAsync(entry.Id, approve: false, "erin", "no");
        });
        var events = await resumed;
        Assert.Equal(("ready", "parked/1:pending"), (events[0].EventType, events[0].EventId));
        var next = events[1];
        Assert.NotEqual("parked/1:pending", next.EventId);
        Assert.True(next.EventType == "status" || (next.EventType == "step" && !next.EventId!.Contains("1:pending", StringComparison.Ordinal)), $"{next.EventType} {next.EventId}");

        using var bad = new HttpRequestMessage(HttpMethod.Get, $"/runs/{run.Id}/events");
        bad.Headers.Add("Last-Event-ID", "not-an-id");
        await AssertProblemAsync(await client.SendAsync(bad), HttpStatusCode.BadRequest, "Last-Event-ID 'not-an-id'");
    }

    [Fact]
    public async Task OpenApi_WithToken_DescribesTheApiAndNotThePages()
    {
        using var client = serve.Authorized();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/runs", paths);
        Assert.Contains("/runs/{id}/events", paths);
        Assert.Contains("/approvals/{id}/approve", paths);
        Assert.DoesNotContain("/login", paths);
        Assert.DoesNotContain("/", paths);
    }

    [Fact]
    public async Task Request_RunStoreUnreadable_Returns503ProblemNamingTheStore()
    {
        var settings = TestSettings.Create();
        var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
        AgentHost.AddRuntime(builder);
        await using var app = ServeCommand.Build(builder);
        await app.StartAsync();
        try
        {
            // Damage the database under the running service: its runs table is gone, so every query of it fails inside the store.
            using (var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={settings.RunStoreFile};Pooling=False"))
            {
                sqlite.Open();
                using var rename = sqlite.CreateCommand();
                rename.CommandText = "ALTER TABLE runs RENAME TO runs_gone;";
                rename.ExecuteNonQuery();
            }

            using var client = new HttpClient { BaseAddress = new Uri(Assert.Single(app.Urls)) };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestSettings.Token);

            using var response = await client.GetAsync("/runs/run-x");

            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "The run store");
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>Reads <paramref name="count"/> server-sent events from <paramref name="path"/>, resuming from <paramref name="lastEventId"/>.</summary>
    private static async Task<List<System.Net.ServerSentEvents.SseItem<string>>> ReadEventsAsync(HttpClient client, string path, string? lastEventId, int count, Func<Task>? onOpen = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var events = new List<System.Net.ServerSentEvents.SseItem<string>>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(timeout.Token))
        {
            events.Add(item);
            if (events.Count == 1 && onOpen is not null)
            {
                // After the first event (ready): the stream is open.
                await onOpen();
            }

            if (events.Count == count)
            {
                break;
            }
        }

        return events;
    }

    /// <summary>An RFC 9457 problem-details answer: the status, application/problem+json, and a detail that says what was wrong.</summary>
    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("title").GetString()), body);
        var detail = problem.RootElement.GetProperty("detail").GetString();
        Assert.True(detail?.Contains(detailContains, StringComparison.Ordinal) == true, $"the detail does not say '{detailContains}': {body}");
        Assert.False(detail!.Contains("Agent.", StringComparison.Ordinal), $"the detail names this program's own types, which a client cannot act on: {body}");
    }

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string runId, string status)
    {
        var clock = Stopwatch.StartNew();
        JsonElement run;
        do
        {
            run = await client.GetFromJsonAsync<JsonElement>($"/runs/{runId}");
            if (run.GetProperty("run").GetProperty("status").GetString() == status)
            {
                return run;
            }

            await Task.Delay(200);
        }
        while (clock.Elapsed < TimeSpan.FromSeconds(90));

        Assert.Fail($"run {runId} did not reach '{status}' in 90 s: {run}");
        return run;
    }
}
