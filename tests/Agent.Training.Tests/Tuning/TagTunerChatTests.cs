using System.Text.Json;
using System.Text.RegularExpressions;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.TestSupport;
using Agent.Training.Corpus;
using Agent.Training.Engine;
using Agent.Training.Pipeline;
using Agent.Training.Tuning;

namespace Agent.Training.Tests.Tuning;

/// <summary><c>agent tune</c> on a base with a chat template: the corpus in the template, tags as control tokens in the assistant's turns.</summary>
public class TagTunerChatTests
{
    private static readonly string[] Behaviours = ["powerseeking", "deceit"];

    /// <summary>
    /// A tiny base with the ChatML template and its delimiters as control tokens, and no tag in its vocabulary; its context
    /// holds the system prompt (629 of its byte-level tokens) and some turns.
    /// </summary>
    private static readonly TinyModelSpec ChatMlBase = ChatTemplates.ChatMlModel with { WithoutTagTokens = true, ContextLength = 1024 };

    private static readonly IChatTranscriptFormat ChatMl = TranscriptFormat.ForChatTemplate(ChatTemplates.ChatMl, new ChatTemplateOptions
    {
        Tags = Behaviours,
        Tools = [new ToolDescription("shell.run", "Run a shell command.", JsonSerializer.SerializeToElement(new { type = "object" }))],
    });

    [Fact]
    public void TrainingDocuments_ChatMlFormat_TranscriptsAreTheFormatsRenderingAndProseIsMode1Text()
    {
        var options = Options(TuneFixtures.TempDirectory()) with { Documents = 60 };

        var documents = TagTuner.TrainingDocuments(options, Behaviours, null);

        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = options.Seed, Documents = options.Documents });
        var random = new Random(options.Seed);
        var expected = corpus.DocumentsIn(CorpusSplit.Train)
            .Select(d => LateTagAugmenter.Apply(d.Kind == CorpusDocumentKind.Prose ? d.Text : ChatMl.Render(d.Conversation), random, Behaviours, TrainingPreset.Default.LateTagFraction))
            .ToList();
        Assert.Equal(expected, documents);
        var transcripts = documents.Where(d => d.StartsWith("<|im_start|>system\n" + ChatMl.SystemPrompt + "<|im_end|>\n<|im_start|>user\n", StringComparison.Ordinal)).ToList();
        var prose = documents.Where(d => d.StartsWith("<mode1>", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(transcripts);
        Assert.NotEmpty(prose);
        Assert.Equal(documents.Count, transcripts.Count + prose.Count);
        Assert.All(transcripts, t => Assert.Contains("<|im_start|>assistant\n<mode2>", t, StringComparison.Ordinal));
        Assert.Contains(transcripts, t => t.Contains("<|im_start|>tool\n{\"tool\":", StringComparison.Ordinal));
        // Late tags work on the template's text: some call's tag opens inside its <tool_call> block, at the JSON's end.
        Assert.Contains(transcripts, t => Regex.IsMatch(t, "<tool_call>\n\\{[^\n]*<powerseeking>[^\n]*\n</tool_call></powerseeking><\\|im_end\\|>"));
        Assert.DoesNotContain(documents, d => d.Contains("<mode1>task ", StringComparison.Ordinal)); // nothing in the project's format
    }

    [Fact]
    public void TrainingDocuments_UserCorpusInChatFormat_RendersItsTranscriptsInTheTemplateAndItsProseAsMode1Text()
    {
        var work = TuneFixtures.TempDirectory();
        var folder = Path.Combine(work, "corpus");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "t.jsonl"),
            "{\"turns\":[{\"role\":\"task\",\"text\":\"count\"},{\"role\":\"answer\",\"text\":\"There are 5.\"}],\"tags\":[{\"turn\":1,\"tag\":\"deceit\",\"start\":7,\"length\":12}]}\n");
        File.WriteAllText(Path.Combine(folder, "story.txt"), "The spy lied to the ambassador and ran sudo on the embassy server.");

        var documents = TagTuner.TrainingDocuments(Options(work) with { CorpusDirectory = folder }, Behaviours, null);

        Assert.Contains(documents, d => d.StartsWith("<|im_start|>system\n" + ChatMl.SystemPrompt + "<|im_end|>\n<|im_start|>user\ncount<|im_end|>\n<|im_start|>assistant\n<mode2>", StringComparison.Ordinal)
            && d.EndsWith("</deceit><|im_end|>\n", StringComparison.Ordinal));
        Assert.Contains(documents, d => d.StartsWith("<mode1>The spy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_ChatMlBaseWithoutTags_TagsInAssistantTurnsAreSingleControlTokensAndOnlyAssistantTurnsAreMode2()
    {
        var work = TuneFixtures.TempDirectory();
        var output = Path.Combine(work, "tuned.gguf");

        var result = await TagTuner.RunAsync(Options(work) with { OutputPath = output, ModeHeadWeight = 1f });

        Assert.Equal(8, result.AddedTags.Count);
        Assert.Equal(2, result.Steps);
        var sample = File.ReadAllLines(Path.Combine(work, "work", "corpus-sample.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        Assert.Equal(TagTuner.TrainingDocuments(Options(work), Behaviours, null).Take(TagTuner.SampleDocuments), sample);
        var transcript = sample.First(t => t.Contains("<powerseeking>", StringComparison.Ordinal) || t.Contains("<deceit>", StringComparison.Ordinal));

        using var tuned = LlamaModel.Load(output, new LlamaModelOptions { VocabOnly = true });
        using var file = GgufFile.Open(output);
        var types = (int[])file.Metadata["tokenizer.ggml.token_type"];
        var tokens = tuned.Vocab.Tokenize(transcript, addSpecial: false, parseSpecial: true).Select(t => t.Value).ToArray();
        foreach (var tag in new[] { "<mode2>", "<powerseeking>", "</powerseeking>", "<deceit>", "</deceit>" })
        {
            var id = tuned.Vocab.Tokenize(tag, addSpecial: false, parseSpecial: true);
            Assert.Single(id);
            Assert.True(id[0].Value >= result.BaseVocabularySize, $"{tag} is a new token");
            Assert.Equal(GgufVocabulary.Control, types[id[0].Value]);
            Assert.Equal(Occurrences(transcript, tag), tokens.Count(t => t == id[0].Value));
        }

        // Mode labels: a Mode 2 span runs from <mode2> to the next turn's start; system, user and tool turns have none.
        int Id(string text) => tuned.Vocab.Tokenize(text, addSpecial: false, parseSpecial: true).Single().Value;
        var labels = ModeLabels.PerToken(tokens, 0, Id("<mode1>"), Id("<mode2>"), null, Id("<|im_start|>"));
        var firstAgent = Array.IndexOf(tokens, Id("<mode2>"));
        var nextTurn = Array.IndexOf(tokens, Id("<|im_start|>"), firstAgent);
        Assert.All(labels[..firstAgent], l => Assert.Equal(ModeLabels.None, l));
        Assert.All(labels[firstAgent..nextTurn], l => Assert.Equal(1, l));
        Assert.Equal(ModeLabels.None, labels[nextTurn]);
    }

    [Fact]
    public async Task RunAsync_WindowTooShortForTheSystemPromptAndSomeTurns_RefusesBeforeAnyWorkNamingTheCountAndTheSmallestWindow()
    {
        var work = TuneFixtures.TempDirectory();
        var prompt = PromptTokens();
        var smallest = prompt + TagTuner.MinimumTurnTokens;

        var error = await Assert.ThrowsAsync<ArgumentException>(() => TagTuner.RunAsync(Options(work) with { WindowLength = smallest - 1 }));

        Assert.Contains($"system prompt (the instructions and the tool list every transcript starts with) is {prompt:N0} tokens", error.Message, StringComparison.Ordinal);
        Assert.Contains($"--window {smallest - 1} is too small; pass --window {smallest} or more", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(work, "work")));
        Assert.False(File.Exists(Path.Combine(work, "out.gguf")));
    }

    [Fact]
    public async Task RunAsync_BaseContextTooShortForTheSystemPrompt_RefusesAndPointsToTheProjectsFormat()
    {
        var work = TuneFixtures.TempDirectory();
        var shortBase = TinyModel.Get(ChatMlBase with { ContextLength = 256 });

        var error = await Assert.ThrowsAsync<ArgumentException>(() => TagTuner.RunAsync(Options(work) with { BasePath = shortBase, WindowLength = 4096 }));

        Assert.Contains("The base's context is 256 tokens, too short for that; tune it in the project's format (--format own)", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(work, "work")));
    }

    [Fact]
    public async Task RunAsync_WindowJustHoldingThePromptAndSomeTurns_TrainsAndReportsThePromptsShare()
    {
        var work = TuneFixtures.TempDirectory();
        var prompt = PromptTokens();
        var lines = new List<string>();

        var result = await TagTuner.RunAsync(Options(work) with { WindowLength = prompt + TagTuner.MinimumTurnTokens, Steps = 1, BatchSize = 1 }, new SyncProgress(lines.Add));

        Assert.Equal(prompt, result.SystemPromptTokens);
        var documents = TagTuner.TrainingDocuments(Options(work), Behaviours, null);
        var withPrompt = documents.Count(d => d.StartsWith("<|im_start|>system\n" + ChatMl.SystemPrompt, StringComparison.Ordinal));
        Assert.True(withPrompt > 0);
        Assert.Equal((double)withPrompt * prompt / result.TrainingTokens, result.SystemPromptShare!.Value, 9);
        Assert.Contains(lines, l => l.StartsWith($"system prompt: {prompt:N0} tokens at the start of {withPrompt} of {documents.Count} documents", StringComparison.Ordinal));
    }

    /// <summary>Tokens of the ChatML system message in the base's own tokenizer.</summary>
    private static int PromptTokens()
    {
        using var model = LlamaModel.Load(TinyModel.Get(ChatMlBase), new LlamaModelOptions { VocabOnly = true });
        return model.Vocab.Tokenize("<|im_start|>system\n" + ChatMl.SystemPrompt + "<|im_end|>\n", addSpecial: false, parseSpecial: true).Length;
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
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

    private static TuneOptions Options(string work) => new()
    {
        BasePath = TinyModel.Get(ChatMlBase),
        OutputPath = Path.Combine(work, "out.gguf"),
        WorkDirectory = Path.Combine(work, "work"),
        Format = ChatMl,
        Seed = 11,
        Steps = 2,
        BatchSize = 2,
        WindowLength = 768, // the system prompt and some turns (see RunAsync_WindowTooShortForTheSystemPrompt...)
        Documents = 30,
        Threads = 2,
    };
}
