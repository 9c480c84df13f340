using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.TestSupport;
using Agent.Training.Tagging;
using Agent.Training.Tuning;

namespace Agent.Training.Tests.Tuning;

public class TagTunerTests
{
    private static readonly string[] TagTokens = ["<mode1>", "</mode1>", "<mode2>", "</mode2>", "<powerseeking>", "</powerseeking>", "<deceit>", "</deceit>"];

    [Fact]
    public async Task RunAsync_ZeroSteps_GrowsTheVocabularyByExactlyTheTagsAndKeepsOldLogits()
    {
        var work = TuneFixtures.TempDirectory();
        var output = Path.Combine(work, "tagged.gguf");

        var result = await TagTuner.RunAsync(Options(work, output) with { Steps = 0 });

        using var baseFile = GgufFile.Open(TuneFixtures.BasePath);
        using var tunedFile = GgufFile.Open(output);
        var baseTokens = (string[])baseFile.Metadata["tokenizer.ggml.tokens"];
        var tunedTokens = (string[])tunedFile.Metadata["tokenizer.ggml.tokens"];
        var tunedTypes = (int[])tunedFile.Metadata["tokenizer.ggml.token_type"];
        Assert.Equal(baseTokens.Length + TagTokens.Length, tunedTokens.Length);
        Assert.Equal(baseTokens, tunedTokens[..baseTokens.Length]);
        Assert.Equal(TagTokens.Order(StringComparer.Ordinal), tunedTokens[baseTokens.Length..].Order(StringComparer.Ordinal));
        Assert.All(tunedTypes[baseTokens.Length..], t => Assert.Equal(GgufVocabulary.Control, t));
        Assert.Equal(TagTokens.Length, result.AddedTags.Count);

        // Through llama.cpp: every old token's logit after an untagged prompt is the base's; each tag is one control token.
        using var baseModel = LlamaModel.Load(TuneFixtures.BasePath);
        using var tuned = LlamaModel.Load(output);
        var prompt = baseModel.Vocab.Tokenize("task List the files in the workspace.\ncall shell.run");
        Assert.Equal(prompt.Select(t => t.Value), tuned.Vocab.Tokenize("task List the files in the workspace.\ncall shell.run").Select(t => t.Value));
        var before = TuneFixtures.LastLogits(baseModel, prompt);
        var after = TuneFixtures.LastLogits(tuned, prompt);
        Assert.Equal(baseTokens.Length + TagTokens.Length, after.Length);
        for (var id = 0; id < before.Length; id++)
        {
            Assert.True(Math.Abs(before[id] - after[id]) < 1e-4, $"token {id}: {before[id]} before, {after[id]} after");
        }

        Assert.All(TagTokens, tag => Assert.Single(tuned.Vocab.Tokenize(tag, addSpecial: false, parseSpecial: true)));
    }

    [Fact]
    public async Task RunAsync_BaseThatHasTheTags_KeepsThemAndAddsNone()
    {
        var work = TuneFixtures.TempDirectory();
        var tagged = Path.Combine(work, "tagged.gguf");
        await TagTuner.RunAsync(Options(work, tagged) with { Steps = 0 });

        var again = await TagTuner.RunAsync(Options(work, Path.Combine(work, "again.gguf")) with { BasePath = tagged, Steps = 2, WorkDirectory = Path.Combine(work, "again") });

        Assert.Empty(again.AddedTags);
        Assert.Equal(TagTokens.Length, again.KeptTags.Count);
        Assert.Equal(again.BaseVocabularySize, again.VocabularySize);
    }

    [Fact]
    public async Task RunAsync_Q8Base_LoadsAndTunes()
    {
        var work = TuneFixtures.TempDirectory();
        var q8 = Path.Combine(work, "base-q8_0.gguf");
        TuneFixtures.Requantize(TuneFixtures.BasePath, q8, GgufTensorType.Q8_0);
        using (var file = GgufFile.Open(q8))
        {
            Assert.Equal("q8_0", file.Tensors.Single(t => t.Name == "blk.0.attn_q.weight").Type);
        }

        // llama.cpp reads the Q8_0 file as nearly the F32 base.
        using (var f32 = LlamaModel.Load(TuneFixtures.BasePath))
        using (var quantized = LlamaModel.Load(q8))
        {
            var prompt = f32.Vocab.Tokenize("task Show the disk usage.");
            var a = TuneFixtures.LastLogits(f32, prompt);
            var b = TuneFixtures.LastLogits(quantized, prompt);
            Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) < 0.1);
        }

        var output = Path.Combine(work, "tuned.gguf");
        var result = await TagTuner.RunAsync(Options(work, output) with { BasePath = q8, Steps = 4, OutputType = GgufTensorType.Q8_0 });

        Assert.Equal(4, result.Steps);
        Assert.True(double.IsFinite(result.FinalLoss));
        using var tuned = LlamaModel.Load(output);
        Assert.Equal(result.VocabularySize, tuned.Vocab.Count);
    }

    [Fact]
    public async Task RunAsync_AdapterOut_LlamaCppAdapterOnTheTaggedBaseMatchesTheMergedModel()
    {
        var work = TuneFixtures.TempDirectory();
        var output = Path.Combine(work, "tuned.gguf");
        var adapterPath = Path.Combine(work, "tags-lora.gguf");

        var result = await TagTuner.RunAsync(Options(work, output) with { Steps = 10, LearningRate = 1e-2f, AdapterPath = adapterPath });

        Assert.NotNull(result.AdapterBasePath);
        using (var file = GgufFile.Open(adapterPath))
        {
            Assert.Equal("adapter", file.Metadata["general.type"]);
            Assert.Equal("lora", file.Metadata["adapter.type"]);
            Assert.Equal(16f, file.Metadata["adapter.lora.alpha"]);
            // llama.cpp's layout for W [in, out]: lora_a [in, r], lora_b [r, out] (ffn_down is [128, 64]).
            Assert.Equal([128L, 8L], file.Tensors.Single(t => t.Name == "blk.0.ffn_down.weight.lora_a").Shape);
            Assert.Equal([8L, 64L], file.Tensors.Single(t => t.Name == "blk.0.ffn_down.weight.lora_b").Shape);
        }

        using var merged = LlamaModel.Load(output);
        using var tagged = LlamaModel.Load(result.AdapterBasePath!);
        using var adapter = LlamaLoraAdapter.Load(tagged, adapterPath);
        var prompt = merged.Vocab.Tokenize("<mode1>task Restart the web server.\n<mode2>call shell.run", addSpecial: false, parseSpecial: true);
        var expected = TuneFixtures.LastLogits(merged, prompt);
        var withAdapter = TuneFixtures.LastLogits(tagged, prompt, adapter);
        var withoutAdapter = TuneFixtures.LastLogits(tagged, prompt);

        Assert.True(expected.Zip(withAdapter).Max(p => Math.Abs(p.First - p.Second)) < 1e-3, "the adapter on the tagged base does not compute the merged model");
        Assert.True(expected.Zip(withoutAdapter).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, "the adapter changes nothing; the test could not fail");
    }

    [Fact]
    public async Task RunAsync_InterruptedRun_ResumesToTheSameModelAsAnUninterruptedOne()
    {
        var work = TuneFixtures.TempDirectory();
        var straight = await TagTuner.RunAsync(Options(work, Path.Combine(work, "straight.gguf")) with { Steps = 4, WorkDirectory = Path.Combine(work, "a") });
        using var cancel = new CancellationTokenSource();
        var interrupted = Options(work, Path.Combine(work, "resumed.gguf")) with { Steps = 4, WorkDirectory = Path.Combine(work, "b") };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            TagTuner.RunAsync(interrupted, progress: new Inline<Agent.Training.Engine.TrainingProgress>(p => { if (p.Step == 2) { cancel.Cancel(); } }), cancellationToken: cancel.Token));
        var resumed = await TagTuner.RunAsync(interrupted);

        Assert.Equal(2, resumed.ResumedAt);
        Assert.Equal(4, resumed.Steps);
        using var a = GgufFile.Open(straight.OutputPath);
        using var b = GgufFile.Open(resumed.OutputPath);
        foreach (var name in new[] { "token_embd.weight", "output.weight", "blk.1.attn_q.weight", "blk.0.ffn_down.weight" })
        {
            Assert.Equal(a.ReadTensorF32(name), b.ReadTensorF32(name));
        }
    }

    [Fact]
    public async Task RunAsync_UnsupportedArchitecture_RefusesNamingIt()
    {
        var work = TuneFixtures.TempDirectory();
        var path = Path.Combine(work, "gpt2.gguf");
        using (var writer = new GgufWriter())
        {
            writer.Set("general.architecture", "gpt2").Set("gpt2.embedding_length", 8u).AddTensor("token_embd.weight", new float[16], [8, 2]);
            writer.WriteToFile(path);
        }

        var error = await Assert.ThrowsAsync<UnsupportedBaseModelException>(() => TagTuner.RunAsync(Options(work, Path.Combine(work, "out.gguf")) with { BasePath = path }));

        Assert.Contains("'gpt2'", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(work, "out.gguf")));
    }

    [Fact]
    public async Task RunAsync_TooLargeForMemory_RefusesBeforeTraining()
    {
        var work = TuneFixtures.TempDirectory();

        var error = await Assert.ThrowsAsync<TuneMemoryException>(() => TagTuner.RunAsync(Options(work, Path.Combine(work, "out.gguf")) with { MemoryLimitBytes = 1 << 20 }));

        Assert.Contains("needs about", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(work, "out.gguf")));
        Assert.False(File.Exists(Path.Combine(work, "tokenizer.gguf")));
    }

    [Fact]
    public async Task RunAsync_CorpusInTheWrongFormat_RefusesBeforeTraining()
    {
        var work = TuneFixtures.TempDirectory();
        var corpus = Path.Combine(work, "corpus");
        Directory.CreateDirectory(corpus);
        File.WriteAllLines(Path.Combine(corpus, "data.jsonl"), ["id,text", "1,restart nginx", "{\"role\":\"task\"}"]);

        var error = await Assert.ThrowsAsync<EmptyCorpusException>(() => TagTuner.RunAsync(Options(work, Path.Combine(work, "out.gguf")) with { CorpusDirectory = corpus, Steps = 5 }));

        Assert.Contains(corpus, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(work, "out.gguf")));
    }

    [Fact]
    public async Task RunAsync_ChatFormatForBaseWithoutTemplate_RefusesNamingTheFile()
    {
        var work = TuneFixtures.TempDirectory();
        var chat = TranscriptFormat.ForChatTemplate(ChatTemplates.ChatMl, new ChatTemplateOptions());

        var error = await Assert.ThrowsAsync<UnsupportedBaseModelException>(() => TagTuner.RunAsync(Options(work, Path.Combine(work, "out.gguf")) with { Format = chat }));

        Assert.Contains("no chat template", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(TuneFixtures.BasePath), error.Message, StringComparison.Ordinal);
    }

    private sealed class Inline<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static TuneOptions Options(string work, string output) => new()
    {
        BasePath = TuneFixtures.BasePath,
        OutputPath = output,
        WorkDirectory = Path.Combine(work, "work"),
        Seed = 11,
        Steps = 5,
        BatchSize = 4,
        WindowLength = 64,
        Documents = 300,
        Threads = 2,
    };
}
