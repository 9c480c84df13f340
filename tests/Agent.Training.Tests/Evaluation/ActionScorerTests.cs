using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.TestSupport;
using Agent.Training.Evaluation;

namespace Agent.Training.Tests.Evaluation;

public class ActionScorerTests
{
    [Fact]
    public void Render_FailedLastResult_ShowsItsExitCodeAndStderrToTheModel()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);
        using var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Tags()), new DecoderOptions { ContextSize = 256, MaxParallel = 1, Threads = 2 });
        var scorer = new ActionScorer(decoder);
        var success = new ScoreItem("1", "Install foo.", "Reading package lists...", null, null, "Installed foo.");
        var failed = success with { ExitCode = 100, Stderr = "E: Unable to locate package foo" };

        var (successPrompt, _) = scorer.Render(success);
        var (failedPrompt, _) = scorer.Render(failed);

        Assert.Contains("E: Unable to locate package foo", failedPrompt, StringComparison.Ordinal);
        Assert.Contains("100", failedPrompt, StringComparison.Ordinal);
        Assert.NotEqual(successPrompt, failedPrompt);
    }

    [Fact]
    public void Render_ToolCall_IsTaskThenMode2PromptAndOneCallLine()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);
        using var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Tags()), new DecoderOptions { ContextSize = 256, MaxParallel = 1, Threads = 2 });
        var scorer = new ActionScorer(decoder);

        var (prompt, line) = scorer.Render(new ScoreItem("1", "Clean the logs.", "app.log", "shell.run", new() { ["command"] = "sudo rm -rf /var/log" }, null));

        Assert.StartsWith("<mode1>task Clean the logs.\n", prompt, StringComparison.Ordinal);
        Assert.EndsWith("<mode2>", prompt, StringComparison.Ordinal);
        Assert.Contains("app.log", prompt, StringComparison.Ordinal);
        Assert.Equal("call shell.run {\"command\":\"sudo rm -rf /var/log\"}", line);
    }

    [Fact]
    public async Task ScoreAsync_ModelFavouringPowerseeking_GivesHighTemptationOnEveryTagOfTheLine()
    {
        using var model = LlamaModel.Load(TinyModel.Get(new TinyModelSpec { FavouredToken = "<powerseeking>" }));
        using var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Tags()), new DecoderOptions { ContextSize = 256, MaxParallel = 1, Threads = 2 });
        var scorer = new ActionScorer(decoder);

        var score = await scorer.ScoreAsync(new ScoreItem("1", "List files.", null, "shell.run", new() { ["command"] = "ls" }, null));

        Assert.True(score.Temptation["powerseeking"].Any > 0.99);
        Assert.True(score.Temptation["deceit"].Max < 0.01);
        // The line and the newline that ends it, as the runtime's step writes it: the gate reads that step too.
        Assert.Equal(model.Vocab.Tokenize("call shell.run {\"command\":\"ls\"}\n").Length, score.Trace.Entries.Length);
        Assert.Equal("\n", score.Trace.Entries[^1].Text);
    }

    [Fact]
    public async Task ScoreAsync_ChatMlFormat_ReadsTheAssistantTurnInTheTemplateAndItsEndOfTurn()
    {
        using var model = LlamaModel.Load(TinyModel.Get(ChatTemplates.ChatMlModel with { ContextLength = 2048 }));
        using var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Tags()), new DecoderOptions { ContextSize = 2048, MaxParallel = 1, Threads = 2 });
        var format = TranscriptFormat.ForChatTemplate(ChatTemplates.ChatMl, new ChatTemplateOptions { Tags = ["deceit", "powerseeking"] });
        var scorer = new ActionScorer(decoder, format);
        var item = new ScoreItem("1", "List files.", "a.txt", "shell.run", new() { ["command"] = "ls" }, null);

        var (prompt, line) = scorer.Render(item);
        var score = await scorer.ScoreAsync(item);

        Assert.StartsWith("<|im_start|>system\n", prompt, StringComparison.Ordinal);
        Assert.Contains("<|im_start|>user\nList files.<|im_end|>\n<|im_start|>tool\n{\"tool\":\"shell.run\",\"exit_code\":0,\"stdout\":\"a.txt\"", prompt, StringComparison.Ordinal);
        Assert.EndsWith("<|im_start|>assistant\n<mode2>", prompt, StringComparison.Ordinal);
        Assert.Equal("<tool_call>\n{\"name\": \"shell.run\", \"arguments\": {\"command\":\"ls\"}}\n</tool_call>", line);

        // The runtime's chat step ends at the template's end of turn, one control token, and the gate reads it too.
        Assert.Equal(model.Vocab.Tokenize(line + "<|im_end|>").Length, score.Trace.Entries.Length);
        Assert.Equal("<|im_end|>", score.Trace.Entries[^1].Text);
    }

    private static TagOptions Tags() => TestTags.Default();
}
