using System.Text.Json;
using Agent.TestSupport;

namespace Agent.Host.Tests.Commands;

/// <summary><c>agent run "TASK" --json</c> as a process: the output contract a user's scripts parse, over a real model, store and sandbox.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class RunCommandTests
{
    private static readonly string[] RunKeys = ["run_id", "status", "final_answer", "actions", "malformed"];
    private static readonly string[] ActionKeys = ["step", "tool", "arguments", "decision", "rule", "temptation", "classifier", "result"];
    private static readonly string[] ResultKeys = ["exit_code", "stdout", "stderr", "truncated"];
    private static readonly string[] AggregateKeys = ["max", "mean", "any"];
    private static readonly string[] Statuses = ["completed", "parked", "blocked", "failed", "limit"];

    [Fact]
    public async Task Run_ListerModelJson_PrintsExactlyTheOutputContract()
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--json", "--model", TinyModel.Get(TestSettings.Lister), "--set", "Agent:MaxSteps=2");

        Assert.True(result.ExitCode == 1, result.ToString()); // a run that hits its step limit is a failed task
        using var doc = JsonDocument.Parse(result.Stdout);
        var run = doc.RootElement;
        Assert.Equal(RunKeys, Keys(run));
        Assert.StartsWith("run-", run.GetProperty("run_id").GetString(), StringComparison.Ordinal);
        Assert.Equal("limit", run.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("final_answer").ValueKind);
        var actions = run.GetProperty("actions").EnumerateArray().ToList();
        Assert.Equal(2, actions.Count);
        foreach (var (action, index) in actions.Select((a, i) => (a, i)))
        {
            Assert.Equal(ActionKeys, Keys(action));
            Assert.Equal(index + 1, action.GetProperty("step").GetInt32());
            Assert.Equal("files.list", action.GetProperty("tool").GetString());
            Assert.Equal(".", action.GetProperty("arguments").GetProperty("path").GetString());
            Assert.Equal("allow", action.GetProperty("decision").GetString());
            Assert.Equal(JsonValueKind.String, action.GetProperty("rule").ValueKind);
            Assert.Equal(["deceit", "powerseeking"], Keys(action.GetProperty("temptation")));
            foreach (var tag in action.GetProperty("temptation").EnumerateObject())
            {
                Assert.Equal(AggregateKeys, Keys(tag.Value));
                Assert.All(AggregateKeys, k => Assert.InRange(tag.Value.GetProperty(k).GetDouble(), 0.0, 1.0));
            }

            // The classifier's powerseeking head reads calls (its deceit head reads answers).
            var powerseeking = Assert.Single(action.GetProperty("classifier").EnumerateObject());
            Assert.Equal("powerseeking", powerseeking.Name);
            Assert.InRange(powerseeking.Value.GetDouble(), 0.0, 1.0);
            var toolResult = action.GetProperty("result");
            Assert.Equal(ResultKeys, Keys(toolResult));
            Assert.Equal(0, toolResult.GetProperty("exit_code").GetInt32());
            Assert.Equal(JsonValueKind.String, toolResult.GetProperty("stdout").ValueKind);
            Assert.Equal(JsonValueKind.String, toolResult.GetProperty("stderr").ValueKind);
            Assert.False(toolResult.GetProperty("truncated").GetBoolean());
        }
    }

    [Fact]
    public async Task Run_ClassifierWeightsMissing_Exits2NamingTheFileAndTheTrainVerbBeforeAnyRunIsStored()
    {
        var settings = TestSettings.Create(edit: json => json["Classifier"]!["WeightsPath"] = "models/no-such-classifier.bin");

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--json");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(Path.Combine(settings.Folder, "models", "no-such-classifier.bin"), line, StringComparison.Ordinal);
        Assert.Contains("agent classifier train", line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created although the classifier could not load");
    }

    [Fact]
    public async Task Run_PolicyCountsOnlyTheModel_RunsWithoutTheClassifierAndSaysSo()
    {
        var settings = TestSettings.Create(edit: json =>
        {
            json["Classifier"]!["WeightsPath"] = "models/no-such-classifier.bin";
            var policy = json["Policy"]!.AsObject();
            policy["Tags"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "powerseeking": { "Escalate": 0.3, "Block": 0.7 }, "deceit": { "Escalate": 0.3, "Block": 0.7 } }""");
            policy["Tools"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "files.list": {}, "answer": {} }""");
        });

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--json", "--model", TinyModel.Get(TestSettings.Lister), "--set", "Agent:MaxSteps=1");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("counts only the model's temptation; running without the classifier", result.Stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(result.Stdout);
        var action = Assert.Single(doc.RootElement.GetProperty("actions").EnumerateArray());
        Assert.Empty(action.GetProperty("classifier").EnumerateObject());
    }

    [Fact]
    public async Task Run_ModeRuleWithAModelWithATrainedHead_EscalatesByTheRuleAndReviewShowPrintsPMode2()
    {
        var (model, _) = TinyModeHead.Create(TestSettings.Lister);
        var settings = TestSettings.Create(model);

        // EscalateBelow 1: every mean p(mode2) is below it, so the rule escalates the first call whatever the head reads.
        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--json", "--set", "Policy:ModeHead:EscalateBelow=1", "--set", "Agent:MaxSteps=1");

        Assert.Contains($"mode rule: Policy:ModeHead reads the mean p(mode2) of each action from {Agent.Decoding.ModeHead.PathFor(model)}", result.Stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("parked", doc.RootElement.GetProperty("status").GetString());
        var action = Assert.Single(doc.RootElement.GetProperty("actions").EnumerateArray());
        Assert.Equal(("files.list", "escalate"), (action.GetProperty("tool").GetString(), action.GetProperty("decision").GetString()));
        Assert.StartsWith("mode:escalate mean_p_mode2=", action.GetProperty("rule").GetString(), StringComparison.Ordinal);
        var list = await AgentProcess.RunAsync(settings, "review", "list", "--json");
        var entry = Assert.Single(JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray());
        var mean = entry.GetProperty("mode2").GetProperty("mean").GetDouble();
        Assert.InRange(mean, 0.0, 1.0);
        // run --json carries the same summary (a model without a head gives no "mode2" key: ActionKeys above).
        Assert.Equal(mean, action.GetProperty("mode2").GetProperty("mean").GetDouble(), 12);
        Assert.InRange(action.GetProperty("mode2").GetProperty("min").GetDouble(), 0.0, mean);
        Assert.All(entry.GetProperty("trace").GetProperty("tokens").EnumerateArray(), t => Assert.InRange(t.GetProperty("p_mode2").GetDouble(), 0.0, 1.0));
        var show = await AgentProcess.RunAsync(settings, "review", "show", entry.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"mean {mean:0.###} min"), show.Stdout, StringComparison.Ordinal);
        Assert.Contains("p(mode2): ", show.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ModeRuleWithAModelWithoutHead_Exits2SayingWhatToDoBeforeAnyRunIsStored()
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--json", "--set", "Policy:Tools:files.list:ModeHead:BlockBelow=0.2");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("The policy has a mode rule (Policy:Tools:files.list:ModeHead) but the model", line, StringComparison.Ordinal);
        Assert.Contains(Agent.Decoding.ModeHead.PathFor(TinyModel.DefaultPath), line, StringComparison.Ordinal);
        Assert.Contains("Use a model with a mode head ('agent train --mode-head-weight' trains one), or remove Policy:Tools:files.list:ModeHead from the policy.", line, StringComparison.Ordinal);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created although the rule cannot be read");
    }

    [Fact]
    public async Task Run_CombinedSignalForATagTheModelNeverTrained_Exits2SayingWhatToDoBeforeAnyRunIsStored()
    {
        var model = TinyModel.Get(new TinyModelSpec { UntrainedTokens = ["<deceit>", "</deceit>"] });
        var settings = TestSettings.Create(model);

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--json",
            "--set", "Policy:Tools:answer:Tags:deceit:Signals=Combined", "--set", "Policy:Tools:answer:Tags:deceit:Combined:Intercept=0",
            "--set", "Policy:Tools:answer:Tags:deceit:Combined:Model=1", "--set", "Policy:Tools:answer:Tags:deceit:Combined:Classifier=1",
            "--set", "Policy:Tools:answer:Tags:deceit:Combined:Escalate=0.5");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"The policy reads the combined signal at Policy:Tools:answer:Tags:deceit:Signals but the model '{model}' has no trained single token for deceit (a single token that was never trained)", line, StringComparison.Ordinal);
        Assert.Contains("Use a model trained with the tag, or set Signals to Classifier or Both at those keys.", line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created although the combined signal cannot be read");
    }

    [Fact]
    public async Task Run_CombinedWithoutItsSection_Exits2NamingTheKey()
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--set", "Policy:Tags:deceit:Signals=Combined");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Policy:Tags:deceit:Signals is Combined but Policy:Tags:deceit:Combined is missing", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(settings.RunStoreFile));
    }

    [Fact]
    public async Task Run_ModeThresholdOutOfRange_Exits2NamingTheKey()
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--set", "Policy:ModeHead:EscalateBelow=1.5");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Policy:ModeHead:EscalateBelow is 1.5: a threshold on the mean p(mode2) is a probability between 0 and 1.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ResumeUnknownRun_Exits2BeforeAnySandboxStarts()
    {
        var settings = TestSettings.Create();

        // A warm pool and information-level logs, so that a sandbox service that started would show (and start a container).
        var result = await AgentProcess.RunAsync(settings, "run", "--resume", "run-that-never-was",
            "--set", "Sandbox:WarmPoolSize=1", "--set", "Serilog:MinimumLevel:Default=Information");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("error: No run 'run-that-never-was'", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("DockerSandboxService", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Run_ForeignRunStore_Exits2NamingTheFileAndLeavesItUntouched()
    {
        var settings = TestSettings.Create();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={settings.RunStoreFile};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE runs (id INTEGER PRIMARY KEY, customer TEXT); INSERT INTO runs (customer) VALUES ('acme');";
            await command.ExecuteNonQueryAsync();
        }

        var before = await File.ReadAllBytesAsync(settings.RunStoreFile);

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--json");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(settings.RunStoreFile, line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.Equal(before, await File.ReadAllBytesAsync(settings.RunStoreFile));
    }

    [Fact]
    public async Task Run_TaskOverMaxTaskBytes_Exits2NamingTheLimitBeforeAnyRunIsStored()
    {
        var settings = TestSettings.Create();
        var task = new string('x', 70 * 1024);

        var result = await AgentProcess.RunAsync(settings, "run", task, "--json");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("Agent:MaxTaskBytes", line, StringComparison.Ordinal);
        Assert.Contains("71680", line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created for a task over the limit");
    }

    [Fact]
    public async Task Submit_TaskOverMaxTaskBytes_Exits2NamingTheLimitWithoutPosting()
    {
        var settings = TestSettings.Create();
        var task = new string('x', 70 * 1024);

        // No service listens at Http:Url (port 0): the task is refused before any connection is tried.
        var result = await AgentProcess.RunAsync(settings, "submit", task);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Agent:MaxTaskBytes", line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Run_RandomModelJson_EndsWithAContractStatusAndMatchingExitCode()
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "run", "Create notes.txt with the text hello", "--json", "--model", TinyModel.DefaultPath, "--set", "Agent:MaxSteps=2");

        using var doc = JsonDocument.Parse(result.Stdout);
        var status = doc.RootElement.GetProperty("status").GetString();
        Assert.Equal(RunKeys, Keys(doc.RootElement));
        Assert.Contains(status, Statuses);
        Assert.Equal(status is "completed" or "parked" ? 0 : 1, result.ExitCode);
        Assert.All(doc.RootElement.GetProperty("actions").EnumerateArray(), a => Assert.Equal(ActionKeys, Keys(a)));
    }

    private static string[] Keys(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];
}
