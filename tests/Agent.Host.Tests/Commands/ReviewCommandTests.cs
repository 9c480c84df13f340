using System.Text.Json;
using Agent.Runtime.Storage;
using Agent.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Host.Tests.Commands;

/// <summary>
/// <c>agent review list|show|approve|deny</c> as processes, over a run store the test fills through the real store API
/// (<see cref="Escalations"/>), and <c>agent run --resume</c> after an approval.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class ReviewCommandTests
{
    [Fact]
    public async Task ListAndShow_PendingEscalation_PrintItWithItsPerTokenTrace()
    {
        var settings = TestSettings.Create();
        var (run, entry) = await PrepareAsync(settings);

        var list = await AgentProcess.RunAsync(settings, "review", "list", "--json");
        var show = await AgentProcess.RunAsync(settings, "review", "show", entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.True(list.ExitCode == 0, list.ToString());
        var listed = Assert.Single(JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray());
        Assert.Equal(entry.Id, listed.GetProperty("id").GetInt64());
        Assert.Equal(run.Id, listed.GetProperty("run_id").GetString());
        Assert.Equal("escalate", listed.GetProperty("decision").GetString());
        Assert.Equal("pending", listed.GetProperty("review_status").GetString());
        Assert.InRange(listed.GetProperty("temptation").GetProperty("powerseeking").GetProperty("any").GetDouble(), 0.3, 1.0);
        Assert.True(show.ExitCode == 0, show.ToString());
        var shown = JsonDocument.Parse(show.Stdout).RootElement;
        // One shape per concept: show prints the entry exactly as list and GET /approvals/{id} do, its trace inside.
        Assert.Equal(entry.Id, shown.GetProperty("id").GetInt64());
        Assert.Equal(listed.GetRawText(), shown.GetRawText());
        Assert.Contains("powerseeking", shown.GetProperty("trace").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.True(shown.GetProperty("trace").GetProperty("tokens").GetArrayLength() > 5);
        // The trace prints as the JSON object the store keeps, byte for byte.
        Assert.Equal(JsonSerializer.Serialize(entry.Trace), shown.GetProperty("trace").GetRawText());
    }

    [Fact]
    public async Task ListAndShow_Human_ShowTheTaskTheActionTheToolResultItAnswersAndHeatValuesAsText()
    {
        var settings = TestSettings.Create();
        ActionLogEntry entry;
        using (var host = OpenStore(settings, out var store))
        {
            await store.InitializeAsync();
            (_, entry) = await Escalations.PrepareAsync(store, "Tidy", "echo cleaned", earlier: "notes: the word is blue");
        }

        var list = await AgentProcess.RunAsync(settings, "review", "list");
        var show = await AgentProcess.RunAsync(settings, "review", "show", entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("Tidy", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("echo", list.Stdout, StringComparison.Ordinal);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("conversation up to the action", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("notes: the word is blue", show.Stdout, StringComparison.Ordinal);
        // Temptation is printed readably, and the heat line says its values as text beside the tokens, not by colour alone.
        Assert.Matches(@"max\s+\d(\.\d{1,4})?\s+mean", show.Stdout);
        Assert.DoesNotMatch(@"\d\.\d{8,}", show.Stdout);
        Assert.Matches(@"\[\d\.\d{3}\^?\]", show.Stdout);
        Assert.Contains("peak", show.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_EntryOfAModelWithAModeHead_PrintsPMode2SummaryAndEachTokensValueAsText()
    {
        var settings = TestSettings.Create();
        ActionLogEntry entry, plain;
        using (var host = OpenStore(settings, out var store))
        {
            await store.InitializeAsync();
            (_, entry) = await Escalations.PrepareAsync(store, "Write a blog post on how to list files", "ls -la", modeHead: true);
            (_, plain) = await Escalations.PrepareAsync(store, "Tidy", "echo cleaned");
        }

        var id = entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var show = await AgentProcess.RunAsync(settings, "review", "show", id);
        var json = await AgentProcess.RunAsync(settings, "review", "show", id, "--json");
        var withoutHead = await AgentProcess.RunAsync(settings, "review", "show", plain.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains(entry.Rule, show.Stdout, StringComparison.Ordinal);
        Assert.Contains("mode rule (mean p(mode2) below its threshold)", show.Stdout, StringComparison.Ordinal);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"mean {entry.Mode!.Mean:0.###} min {entry.Mode.Min:0.###}"), show.Stdout, StringComparison.Ordinal);
        // The per-token line: every token's value as text after it, none left to colour alone.
        var start = show.Stdout.IndexOf("p(mode2): ", StringComparison.Ordinal);
        var end = show.Stdout.IndexOf("p(mode2): the model's mode head", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, show.Stdout);
        var modeLine = show.Stdout[start..end];
        Assert.Equal(entry.Trace.Tokens.Length, System.Text.RegularExpressions.Regex.Count(modeLine, @"\[\d\.\d{3}<?\]"));
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{entry.Trace.Tokens[0].Mode2:0.000}"), modeLine, StringComparison.Ordinal);
        Assert.True(json.ExitCode == 0, json.ToString());
        var shown = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(entry.Mode.Mean, shown.GetProperty("mode2").GetProperty("mean").GetDouble(), 9);
        Assert.Equal("mode", shown.GetProperty("fired_signal").GetString());
        Assert.Equal(entry.Trace.Tokens[0].Mode2!.Value, shown.GetProperty("trace").GetProperty("tokens")[0].GetProperty("p_mode2").GetDouble(), 9);
        Assert.True(withoutHead.ExitCode == 0, withoutHead.ToString());
        Assert.Contains("none (the model has no mode head)", withoutHead.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("p(mode2): ", withoutHead.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_PendingEscalation_RequeuesTheRunThatResumeFinishesAndASecondDecisionExits2()
    {
        var settings = TestSettings.Create(TinyModel.Get(TestSettings.Lister));
        var (run, entry) = await PrepareAsync(settings);
        var id = entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var approve = await AgentProcess.RunAsync(settings, "review", "approve", id, "--reviewer", "alice", "--reason", "harmless", "--json");
        var again = await AgentProcess.RunAsync(settings, "review", "deny", id, "--reviewer", "bob");

        Assert.True(approve.ExitCode == 0, approve.ToString());
        Assert.Equal("approved", JsonDocument.Parse(approve.Stdout).RootElement.GetProperty("review_status").GetString());
        AssertOneLineError(again, $"Entry {id} was already approved by alice");
        var resume = await AgentProcess.RunAsync(settings, "run", "--resume", run.Id, "--json");
        var first = JsonDocument.Parse(resume.Stdout).RootElement.GetProperty("actions")[0];
        Assert.Equal("approved-ran", first.GetProperty("result").GetProperty("stdout").GetString()!.Trim());
        Assert.Equal("allow", first.GetProperty("decision").GetString());
        Assert.Equal($"approved:{id}", first.GetProperty("rule").GetString());
        using var host = OpenStore(settings, out var store);
        Assert.Equal(1, await store.CountExecutionsAsync(run.Id, 1));
    }

    [Fact]
    public async Task Deny_PendingEscalation_RecordsReviewerAndReason()
    {
        var settings = TestSettings.Create();
        var (run, entry) = await PrepareAsync(settings);

        var deny = await AgentProcess.RunAsync(settings, "review", "deny", entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reviewer", "bob", "--reason", "too broad");

        Assert.True(deny.ExitCode == 0, deny.ToString());
        using var host = OpenStore(settings, out var store);
        var denied = (await store.GetLogEntryAsync(entry.Id))!;
        Assert.Equal(("denied", "bob", "too broad"), (denied.ReviewStatus, denied.Reviewer, denied.ReviewReason));
        Assert.Equal(RunStatus.Queued, (await store.GetRunAsync(run.Id))!.Status);
    }

    [Theory]
    [InlineData("show", "No log entry 424242")]
    [InlineData("approve", "No blocked-action log entry 424242")]
    [InlineData("deny", "No blocked-action log entry 424242")]
    public async Task Decide_UnknownId_Exits2WithOneLineOnStderr(string verb, string message)
    {
        var settings = TestSettings.Create();
        await PrepareAsync(settings);

        var result = await AgentProcess.RunAsync(settings, "review", verb, "424242");

        AssertOneLineError(result, message);
    }

    private static void AssertOneLineError(AgentProcessResult result, string message)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + message, line, StringComparison.Ordinal);
    }

    private static async Task<(RunRecord Run, ActionLogEntry Entry)> PrepareAsync(TestSettings settings)
    {
        using var host = OpenStore(settings, out var store);
        await store.InitializeAsync();
        return await Escalations.PrepareAsync(store, "Print a word", "echo approved-ran");
    }

    /// <summary>The run store the settings name, opened through the executable's own composition (not started: no model, no sandbox).</summary>
    private static IHost OpenStore(TestSettings settings, out IRunStore store)
    {
        var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
        AgentHost.AddRuntime(builder);
        var host = builder.Build();
        store = host.Services.GetRequiredService<IRunStore>();
        return host;
    }
}
