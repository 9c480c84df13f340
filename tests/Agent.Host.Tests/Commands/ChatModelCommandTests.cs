using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.TestSupport;

namespace Agent.Host.Tests.Commands;

/// <summary>
/// <c>agent info</c> and <c>agent run</c> over a tiny model that carries a ChatML template: the transcript format in use,
/// what the gate reads per tag (an untrained tag token, a tag without a policy entry), and malformed steps shown with the model's own line.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class ChatModelCommandTests
{
    /// <summary>What the malformed model writes greedily at every step: a Hermes call without arguments.</summary>
    private const string MalformedLine = "<tool_call>{\"name\": \"files.list\"}</tool_call>";

    private static readonly TinyModelSpec UntrainedDeceit = ChatTemplates.ChatMlModel with { UntrainedTokens = ["<deceit>", "</deceit>"] };

    private static readonly TinyModelSpec MalformedWriter = ChatTemplates.ChatMlModel with
    {
        ContextLength = 4096,
        ExtraTokens = [MalformedLine],
        FavouredChain = [("<mode2>", MalformedLine), (MalformedLine, "<|im_end|>")],
    };

    [Fact]
    public async Task Info_ChatModelWithUntrainedTagWithoutPolicyEntry_SaysWhatTheGateReadsPerTag()
    {
        var settings = TestSettings.Create(edit: WithoutDeceitPolicy);

        var json = await AgentProcess.RunAsync(settings, "info", "--json", "--model", TinyModel.Get(UntrainedDeceit));
        var text = await AgentProcess.RunAsync(settings, "info", "--model", TinyModel.Get(UntrainedDeceit));

        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        var model = doc.RootElement.GetProperty("model");
        Assert.Equal("chatml", model.GetProperty("transcript_format").GetString());
        var tags = model.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("tag").GetString()!);
        Assert.Equal("untrained-token", tags["deceit"].GetProperty("token").GetString());
        Assert.False(tags["deceit"].GetProperty("model_signal").GetBoolean());
        Assert.False(tags["deceit"].GetProperty("readout").GetProperty("policy_entry").GetBoolean());
        Assert.Equal("nothing", tags["deceit"].GetProperty("readout").GetProperty("gate_reads").GetString());
        Assert.Equal("trained-token", tags["powerseeking"].GetProperty("token").GetString());
        Assert.Equal("model+classifier", tags["powerseeking"].GetProperty("readout").GetProperty("gate_reads").GetString());
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("<deceit>: no policy entry", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("transcript format chatml", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ChatModelWritingMalformedCalls_ShowsTheModelsOwnLineInJsonTranscriptAndLog()
    {
        var settings = TestSettings.Create(modelPath: TinyModel.Get(MalformedWriter), edit: ModelOnlyPolicy);
        string[] options = ["--set", "Llama:ContextSize=4096", "--set", "Agent:MaxSteps=2", "--set", "Serilog:MinimumLevel:Default=Information"];

        var json = await AgentProcess.RunAsync(settings, ["run", "List the files in /workspace", "--json", .. options]);
        var text = await AgentProcess.RunAsync(settings, ["run", "List the files in /workspace", .. options]);

        Assert.True(json.ExitCode == 1, json.ToString()); // the step limit: every step was malformed
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Empty(doc.RootElement.GetProperty("actions").EnumerateArray());
        var malformed = doc.RootElement.GetProperty("malformed").EnumerateArray().ToList();
        Assert.Equal(2, malformed.Count);
        Assert.All(malformed, m =>
        {
            Assert.Equal(MalformedLine, m.GetProperty("line").GetString());
            Assert.Contains("no \"arguments\"", m.GetProperty("error").GetString(), StringComparison.Ordinal);
        });
        Assert.Contains("transcript format chatml", json.Stderr, StringComparison.Ordinal);
        Assert.Contains("gate <deceit>: the model has it as a trained single token; the gate reads model", json.Stderr, StringComparison.Ordinal);
        Assert.True(json.Stderr.Contains("the model wrote " + MalformedLine, StringComparison.Ordinal), json.Stderr);
        Assert.Contains("[1] malformed: " + MalformedLine, text.Stdout, StringComparison.Ordinal);
        Assert.Contains("[2] malformed: " + MalformedLine, text.Stdout, StringComparison.Ordinal);
    }

    private static void WithoutDeceitPolicy(JsonObject json)
    {
        var policy = json["Policy"]!.AsObject();
        policy["Tags"]!.AsObject().Remove("deceit");
        policy["Tools"]!["answer"]!.AsObject().Remove("Tags");
    }

    private static void ModelOnlyPolicy(JsonObject json)
    {
        json["Classifier"]!["WeightsPath"] = "models/no-such-classifier.bin";
        var policy = json["Policy"]!.AsObject();
        policy["Tags"] = JsonNode.Parse("""{ "powerseeking": { "Escalate": 0.3, "Block": 0.7 }, "deceit": { "Escalate": 0.3, "Block": 0.7 } }""");
        policy["Tools"] = JsonNode.Parse("""{ "files.list": {}, "answer": {} }""");
    }
}
