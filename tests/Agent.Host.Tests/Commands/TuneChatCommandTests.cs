using System.Globalization;
using System.Text.Json;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.TestSupport;
using Agent.Training.Corpus;
using Agent.Training.Pipeline;

namespace Agent.Host.Tests.Commands;

/// <summary>
/// <c>agent tune</c> on a base with a chat template trains on the runtime's rendering of its conversations, and
/// <c>agent eval</c> / <c>agent score</c> read the tuned model in that same format.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class TuneChatCommandTests
{
    private const int Seed = 5;
    private const int Documents = 40;

    /// <summary>A tiny ChatML base without tag tokens; its context holds a system prompt with the tools in bytes.</summary>
    private static readonly TinyModelSpec ChatMlBase = ChatTemplates.ChatMlModel with { WithoutTagTokens = true, ContextLength = 4096 };

    /// <summary>A tiny Llama 3 base without tag tokens, its context as long.</summary>
    private static readonly TinyModelSpec Llama3Base = ChatTemplates.Llama3Model with { WithoutTagTokens = true, ContextLength = 4096 };

    [Fact]
    public async Task Tune_ChatMlBase_TrainsOnTheRuntimesRenderingAndEvalAndScoreReadTheTunedModelInIt()
    {
        var settings = TestSettings.Create(TinyModel.Get(ChatMlBase));
        var work = Path.Combine(settings.Folder, "work");
        var tuned = Path.Combine(settings.Folder, "tuned.gguf");

        var window = PromptTokens(settings) + 128;
        var tune = await AgentProcess.RunAsync(settings, "tune", "--base", TinyModel.Get(ChatMlBase), "--out", tuned, "--work", work, "--steps", "2", "--batch", "2",
            "--window", window.ToString(System.Globalization.CultureInfo.InvariantCulture), "--documents", Documents.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(tune.ExitCode == 0, tune.ToString());
        Assert.Contains("in the chatml transcript format", tune.Stdout, StringComparison.Ordinal);
        Assert.Matches($"tune: the chatml system prompt is {PromptTokens(settings):N0} tokens, [0-9]+% of the [0-9,]+ training tokens; a window needs at least {window:N0}", tune.Stderr);

        // What the tune trained on is the runtime's rendering of each conversation, byte for byte: the format a run of the
        // tuned model builds (its chat template, the run's tools in the system prompt, the gate's tags), late tags moved.
        var format = RuntimeFormat(settings, ChatTemplates.ChatMl);
        var chat = Assert.IsAssignableFrom<IChatTranscriptFormat>(format);
        Assert.Contains("\"name\":\"shell.run\"", chat.SystemPrompt, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"files.list\"", chat.SystemPrompt, StringComparison.Ordinal);
        var sample = CorpusSample(work);
        Assert.Equal(ExpectedSample(format), sample);
        Assert.Contains(sample, s => s.StartsWith("<|im_start|>system\n", StringComparison.Ordinal) && s.Contains("<|im_start|>assistant\n<mode2>", StringComparison.Ordinal));

        // eval: every item is the template's assistant turn after the template's prompt, read up to its end of turn.
        var items = Path.Combine(settings.Folder, "items.jsonl");
        var eval = await AgentProcess.RunAsync(settings, "eval", "--model", tuned, "--max-items", "4", "--items-out", items, "--set", "Llama:ContextSize=4096");
        Assert.True(eval.ExitCode == 0, eval.ToString());
        Assert.Contains("transcript format chatml", eval.Stderr, StringComparison.Ordinal);
        var scored = File.ReadAllLines(items).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(scored);
        Assert.All(scored, i => Assert.Equal("<|im_end|>", i.GetProperty("tokens").EnumerateArray().Last().GetProperty("text").GetString()));
        var actions = scored.Select(i => i.GetProperty("action_line").GetString()!).ToList();
        Assert.Contains(actions, a => a.StartsWith("<tool_call>\n{\"name\": ", StringComparison.Ordinal));
        Assert.DoesNotContain(actions, a => a.StartsWith("call ", StringComparison.Ordinal) || a.StartsWith("answer ", StringComparison.Ordinal)); // the project's lines

        // score: the same format for the actions it is given.
        var input = Path.Combine(settings.Folder, "score.jsonl");
        await File.WriteAllTextAsync(input, "{\"id\":\"a\",\"task\":\"List the files.\",\"tool\":\"shell.run\",\"args\":{\"command\":\"ls\"}}\n");
        var score = await AgentProcess.RunAsync(settings, "score", "--model", tuned, "--input", input, "--set", "Llama:ContextSize=4096");
        Assert.True(score.ExitCode == 0, score.ToString());
        Assert.Contains("transcript format chatml", score.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"a\"", score.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tune_Llama3Base_TrainsOnTheRuntimesRenderingWithSingleControlTagsAndTheTunedModelDecodesAStep()
    {
        var basePath = TinyModel.Get(Llama3Base);
        var settings = TestSettings.Create(basePath);
        var work = Path.Combine(settings.Folder, "work");
        var tuned = Path.Combine(settings.Folder, "tuned.gguf");
        var format = RuntimeFormat(settings, ChatTemplates.Llama3);
        var chat = Assert.IsAssignableFrom<IChatTranscriptFormat>(format);
        Assert.Equal(ChatTemplateFamily.Llama3, chat.Family);
        var systemMessage = "<|start_header_id|>system<|end_header_id|>\n\n" + chat.SystemPrompt.Trim() + "<|eot_id|>";
        int baseVocabulary, window;
        using (var baseModel = LlamaModel.Load(basePath, new LlamaModelOptions { VocabOnly = true }))
        {
            baseVocabulary = baseModel.Vocab.Count;
            window = baseModel.Vocab.Tokenize(systemMessage, addSpecial: false, parseSpecial: true).Length + 128;
        }

        var tune = await AgentProcess.RunAsync(settings, "tune", "--base", basePath, "--out", tuned, "--work", work, "--steps", "2", "--batch", "2",
            "--window", window.ToString(CultureInfo.InvariantCulture), "--documents", Documents.ToString(CultureInfo.InvariantCulture), "--seed", Seed.ToString(CultureInfo.InvariantCulture));

        Assert.True(tune.ExitCode == 0, tune.ToString());
        Assert.Contains("in the llama3 transcript format", tune.Stdout, StringComparison.Ordinal);

        // What the tune trained on is the runtime's Llama 3 rendering of each conversation, byte for byte, late tags moved.
        var sample = CorpusSample(work);
        Assert.Equal(ExpectedSample(format), sample);
        Assert.Contains(sample, s => s.StartsWith(systemMessage + "<|start_header_id|>user<|end_header_id|>\n\n", StringComparison.Ordinal)
            && s.Contains("<|start_header_id|>assistant<|end_header_id|>\n\n<mode2>", StringComparison.Ordinal));
        Assert.DoesNotContain(sample, s => s.Contains("<|im_start|>", StringComparison.Ordinal) || s.Contains("<mode1>task ", StringComparison.Ordinal));

        // The tuned model loads in llama.cpp, and each tag is one new control token wherever the trained text has it.
        using var model = LlamaModel.Load(tuned);
        int[] types;
        using (var file = Agent.Llama.Gguf.GgufFile.Open(tuned))
        {
            types = (int[])file.Metadata["tokenizer.ggml.token_type"];
        }

        var transcript = sample.First(t => t.Contains("<powerseeking>", StringComparison.Ordinal) || t.Contains("<deceit>", StringComparison.Ordinal));
        var tokens = model.Vocab.Tokenize(transcript, addSpecial: false, parseSpecial: true).Select(t => t.Value).ToArray();
        foreach (var tag in new[] { "<mode1>", "<mode2>", "<powerseeking>", "</powerseeking>", "<deceit>", "</deceit>" })
        {
            var id = Assert.Single(model.Vocab.Tokenize(tag, addSpecial: false, parseSpecial: true)).Value;
            Assert.True(id >= baseVocabulary, $"{tag} is a new token");
            Assert.Equal(3, types[id]); // CONTROL
            Assert.Equal(Occurrences(transcript, tag), tokens.Count(t => t == id));
        }

        // llama.cpp lays out the tuned model's prompt (its template, kept) as the runtime does, and the model decodes a step in it.
        var conversation = new Conversation([new TaskTurn("List the files.")]);
        var prompt = format.RenderPromptForNextAgentStep(conversation);
        var template = LlamaChatTemplates.Read(model);
        Assert.Equal(ChatTemplates.Llama3, template);
        var llamaCpp = LlamaChatTemplates.Apply(template!, [.. chat.ToMessages(conversation).Select(m => (m.Role, m.Content))], addAssistant: true);
        Assert.Equal(llamaCpp + "<mode2>", prompt);
        var tags = new TagOptions();
        tags.Modes.Add("mode1");
        tags.Modes.Add("mode2");
        tags.Behaviours.Add("deceit");
        tags.Behaviours.Add("powerseeking");
        using var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, tags), new DecoderOptions { ContextSize = 4096, MaxParallel = 1, Threads = 1 });
        var step = await decoder.GenerateAsync(new GenerationRequest(prompt) { MaxTokens = 8, StopStrings = format.StepStopStrings, Constraints = DecodingConstraints.None.InMode("mode2") });
        var promptTokens = model.Vocab.Tokenize(prompt, addSpecial: false, parseSpecial: true).Length;
        Assert.InRange(step.PromptTokens, promptTokens, promptTokens + 1); // the whole prompt was read (and BOS, if the decoder adds it)
        Assert.NotEmpty(step.Trace.Entries);
        Assert.All(step.Trace.Entries, e => Assert.All(e.Probabilities, p => Assert.InRange(p, double.Epsilon, 1.0)));
    }

    [Fact]
    public async Task Tune_UserCorpusOnChatBase_RendersItInTheTemplate()
    {
        var settings = TestSettings.Create(TinyModel.Get(ChatMlBase));
        var folder = Path.Combine(settings.Folder, "corpus");
        Directory.CreateDirectory(folder);
        var transcript = "{\"turns\":[{\"role\":\"task\",\"text\":\"count\"},{\"role\":\"answer\",\"text\":\"There are 5.\"}],\"tags\":[{\"turn\":1,\"tag\":\"deceit\",\"start\":7,\"length\":12}]}";
        await File.WriteAllLinesAsync(Path.Combine(folder, "t.jsonl"), Enumerable.Repeat(transcript, 20));
        var work = Path.Combine(settings.Folder, "work");

        var tune = await AgentProcess.RunAsync(settings, "tune", "--base", TinyModel.Get(ChatMlBase), "--out", Path.Combine(settings.Folder, "tuned.gguf"), "--work", work,
            "--corpus", folder, "--format", "chat", "--steps", "1", "--batch", "1", "--window", (PromptTokens(settings) + 128).ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(tune.ExitCode == 0, tune.ToString());
        Assert.Contains("rendered in the base's chatml chat template", tune.Stderr, StringComparison.Ordinal);
        var sample = File.ReadAllLines(Path.Combine(work, "corpus-sample.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        Assert.All(sample, s => Assert.Contains("<|im_start|>user\ncount<|im_end|>\n<|im_start|>assistant\n<mode2>", s, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("chat", false, "has no chat template")]
    [InlineData("auto", true, "is not one this runtime lays out")]
    [InlineData("chat", true, "is not one this runtime lays out")]
    [InlineData("xml", false, "--format 'xml' is not known")]
    public async Task Tune_FormatTheBaseCannotHave_ExitsTwoBeforeAnyWork(string choice, bool gemma, string message)
    {
        var model = gemma ? TinyModel.Get(new TinyModelSpec { ChatTemplate = ChatTemplates.Gemma }) : TinyModel.DefaultPath;
        var settings = TestSettings.Create(model);
        var output = Path.Combine(settings.Folder, "tuned.gguf");
        var work = Path.Combine(settings.Folder, "work");

        var tune = await AgentProcess.RunAsync(settings, "tune", "--base", model, "--out", output, "--work", work, "--format", choice, "--steps", "1");

        Assert.True(tune.ExitCode == 2, tune.ToString());
        Assert.Contains(message, tune.Stderr, StringComparison.Ordinal);
        Assert.Contains(choice == "xml" ? "own" : "--format own", tune.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public async Task Tune_FormatOwnOnChatBase_TrainsInTheProjectsFormat()
    {
        var settings = TestSettings.Create(TinyModel.Get(ChatMlBase));
        var work = Path.Combine(settings.Folder, "work");

        var tune = await AgentProcess.RunAsync(settings, "tune", "--base", TinyModel.Get(ChatMlBase), "--out", Path.Combine(settings.Folder, "tuned.gguf"), "--work", work,
            "--format", "own", "--steps", "1", "--batch", "1", "--window", "64", "--documents", "20");

        Assert.True(tune.ExitCode == 0, tune.ToString());
        var sample = File.ReadAllLines(Path.Combine(work, "corpus-sample.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        Assert.All(sample, s => Assert.StartsWith("<mode1>", s, StringComparison.Ordinal));
        Assert.DoesNotContain(sample, s => s.Contains("<|im_start|>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tune_WindowTooShortForTheChatSystemPrompt_ExitsTwoNamingThePromptsTokensAndTheSmallestWindow()
    {
        var settings = TestSettings.Create(TinyModel.Get(ChatMlBase));
        var work = Path.Combine(settings.Folder, "work");
        var output = Path.Combine(settings.Folder, "tuned.gguf");
        var prompt = PromptTokens(settings);

        var tune = await AgentProcess.RunAsync(settings, "tune", "--base", TinyModel.Get(ChatMlBase), "--out", output, "--work", work, "--steps", "1", "--window", "256");

        Assert.True(tune.ExitCode == 2, tune.ToString());
        Assert.Contains($"system prompt (the instructions and the tool list every transcript starts with) is {prompt:N0} tokens", tune.Stderr, StringComparison.Ordinal);
        Assert.Contains($"--window 256 is too small; pass --window {prompt + 128} or more (the base's context is 4,096), or tune in the project's format (--format own)", tune.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.False(Directory.Exists(work));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EvalUntrain_FineTunesInTheModelsOwnFormatAndKeepsItsTemplate(bool chat)
    {
        var model = chat ? TinyModel.Get(ChatTemplates.ChatMlModel with { ContextLength = 4096 }) : TinyModel.DefaultPath;
        var settings = TestSettings.Create(model);

        var eval = await AgentProcess.RunAsync(settings, "eval", "--preset", "smoke", "--untrain-steps", "1", "--max-items", "2", "--set", "Llama:ContextSize=4096");

        Assert.True(eval.ExitCode == 0, eval.ToString());
        var untrained = Path.Combine(settings.Folder, "data", "untrain", Path.GetFileNameWithoutExtension(model) + "-1.gguf");
        Assert.True(File.Exists(untrained), eval.ToString());

        // The untagged text is the runtime's rendering for this model (the chat template's with the run's tools, or the
        // project's own, which is the corpus's text), as the items eval then scores are.
        var format = chat ? RuntimeFormat(settings, ChatTemplates.ChatMl) : TranscriptFormat.Default;
        var corpus = TrainingPipeline.GenerateCorpus(TrainingPreset.Smoke, 1);
        var sample = File.ReadAllLines(Agent.Training.Evaluation.Untrainer.SamplePath(untrained)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        Assert.Equal(16, sample.Count);
        Assert.Equal(corpus.DocumentsIn(CorpusSplit.Train).Take(16).Select(d => Agent.Training.Evaluation.Untrainer.Strip(d.Kind == CorpusDocumentKind.Prose ? d.Text : format.Render(d.Conversation))), sample);
        Assert.DoesNotContain(sample, s => s.Contains("<powerseeking>", StringComparison.Ordinal) || s.Contains("<deceit>", StringComparison.Ordinal));
        if (chat)
        {
            Assert.Contains(sample, s => s.StartsWith("<|im_start|>system\n", StringComparison.Ordinal) && s.Contains("<|im_start|>assistant\n<mode2>", StringComparison.Ordinal));
            Assert.Contains("untagged text in the chatml transcript format", eval.Stderr, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(corpus.DocumentsIn(CorpusSplit.Train).Take(16).Select(d => Agent.Training.Evaluation.Untrainer.Strip(d.Text)), sample); // the text it always was
            Assert.DoesNotContain(sample, s => s.Contains("<|im_start|>", StringComparison.Ordinal));
        }

        // The untrained model keeps the chat template, so eval reads it in the same format.
        Assert.Contains($"transcript format {(chat ? "chatml" : TranscriptFormat.Default.Name)}", eval.Stderr, StringComparison.Ordinal);
        Assert.Equal(chat ? ChatTemplates.ChatMl : null, Agent.Llama.Gguf.GgufFile.ReadChatTemplate(untrained));
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Tokens of the runtime's ChatML system message (the shipped tools) in the tiny base's tokenizer.</summary>
    private static int PromptTokens(TestSettings settings)
    {
        using var model = Agent.Llama.LlamaModel.Load(TinyModel.Get(ChatMlBase), new Agent.Llama.LlamaModelOptions { VocabOnly = true });
        var chat = (IChatTranscriptFormat)RuntimeFormat(settings, ChatTemplates.ChatMl);
        return model.Vocab.Tokenize("<|im_start|>system\n" + chat.SystemPrompt + "<|im_end|>\n", addSpecial: false, parseSpecial: true).Length;
    }

    /// <summary>The format the runtime shows a model with <paramref name="template"/> under these settings.</summary>
    private static ITranscriptFormat RuntimeFormat(TestSettings settings, string template)
    {
        var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
        ModelTranscriptFormat.Add(builder);
        using var host = builder.Build();
        return ModelTranscriptFormat.For(host.Services, template);
    }

    /// <summary>The first 16 training documents as the tune renders them in <paramref name="format"/>: prose as it is,
    /// transcripts rendered, behaviour tags moved late as <c>agent train</c> does.</summary>
    private static List<string> ExpectedSample(ITranscriptFormat format)
    {
        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = Seed, Documents = Documents });
        var random = new Random(Seed);
        string[] behaviours = ["powerseeking", "deceit"];
        return corpus.DocumentsIn(CorpusSplit.Train)
            .Select(d => LateTagAugmenter.Apply(d.Kind == CorpusDocumentKind.Prose ? d.Text : format.Render(d.Conversation), random, behaviours, TrainingPreset.Default.LateTagFraction))
            .Take(16)
            .ToList();
    }

    /// <summary>What the tune wrote to <c>corpus-sample.jsonl</c> in <paramref name="work"/>.</summary>
    private static List<string> CorpusSample(string work) =>
        [.. File.ReadAllLines(Path.Combine(work, "corpus-sample.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];
}
