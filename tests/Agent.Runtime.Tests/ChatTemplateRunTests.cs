using Agent.Runtime.Storage;
using Agent.TestSupport;

namespace Agent.Runtime.Tests;

/// <summary>
/// The loop over a model that carries a chat template (a tiny ChatML model): the prompt is the template with the
/// plugins' tools in the system prompt, Hermes tool calls run, a malformed call is refused with the model's own line on record.
/// </summary>
[Collection(RuntimeCollectionDefinition.Name)]
public sealed class ChatTemplateRunTests
{
    // As the format renders a call back into the history: canonical (compact) arguments.
    private const string Call = "<tool_call>\n{\"name\": \"shell.run\", \"arguments\": {\"command\":\"echo hi > a.txt && cat a.txt\"}}\n</tool_call>";
    private const string Malformed = "<tool_call>{\"name\": \"files.read\"}</tool_call>";

    // The system prompt with four tools is ~1,700 tokens in the tiny byte-level vocabulary.
    private static readonly TinyModelSpec s_model = ChatTemplates.ChatMlModel with { ContextLength = 4096 };

    [Fact]
    public async Task RunAsync_ChatMlModel_RendersTheTemplateWithTheToolsAndRunsHermesCalls()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient, [Call, Malformed, "The file says hi."], s_model);

        var run = await h.RunNewAsync("Write hi to a.txt and read it back");

        Assert.True(run.Status == RunStatus.Completed, run.Reason);
        Assert.Equal("The file says hi.", run.FinalAnswer);
        var prompts = h.Source.Prompts;
        Assert.StartsWith("<|im_start|>system\n", prompts[0], StringComparison.Ordinal);
        // The tools come from the plugins' metadata: name, description, parameter schema.
        Assert.Contains("{\"type\":\"function\",\"function\":{\"name\":\"shell.run\",\"description\":\"Run a shell command", prompts[0], StringComparison.Ordinal);
        Assert.Contains("\"required\":[\"command\"]", prompts[0], StringComparison.Ordinal);
        Assert.Contains("\"name\":\"files.write\"", prompts[0], StringComparison.Ordinal);
        Assert.Contains("<|im_start|>user\nWrite hi to a.txt and read it back<|im_end|>\n<|im_start|>assistant\n<mode2>", prompts[0], StringComparison.Ordinal);
        Assert.EndsWith("<|im_start|>assistant\n<mode2>", prompts[0], StringComparison.Ordinal);
        Assert.Contains("<|im_start|>assistant\n<mode2>" + Call + "<|im_end|>\n<|im_start|>tool\n{\"tool\":\"shell.run\",\"exit_code\":0,\"stdout\":\"hi\"", prompts[1], StringComparison.Ordinal);

        var report = RunReport.From(run, await h.Store.GetStepsAsync(run.Id));
        Assert.Equal(["shell.run", "answer"], report.Actions.Select(a => a.Tool));
        var malformed = Assert.Single(report.Malformed);
        Assert.Equal(2, malformed.Step);
        Assert.Equal(Malformed, malformed.Line);
        Assert.Contains("no \"arguments\"", malformed.Error, StringComparison.Ordinal);
        // The model is told why, in the template's tool role.
        Assert.Contains("<|im_start|>tool\n{\"tool\":\"error\",\"exit_code\":2,\"stdout\":\"\",\"stderr\":\"invalid step: the <\\tool_call> body has no", prompts[2], StringComparison.Ordinal);
    }
}
