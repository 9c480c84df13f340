using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using Agent.Host.Commands;

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
        (HttpMethod.Get, "/no-such-endpoint"),
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
            Assert.Empty(await response.Content.ReadAsStringAsync());
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
