using Agent.Decoding;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.Training.Evaluation;
using Agent.Training.Pipeline;

namespace Agent.Training.Tests.Pipeline;

public class TrainingPipelineTests
{
    [Fact]
    public async Task RunAsync_SmokePreset_WritesAModelLlamaCppLoadsWithTagsAsSingleTokens()
    {
        var work = Path.Combine(Path.GetTempPath(), "agent-tests", "pipeline-" + Guid.NewGuid().ToString("N"));
        var modelPath = Path.Combine(work, "smoke.gguf");
        var messages = new List<string>();

        var result = await TrainingPipeline.RunAsync(new PipelineOptions { Preset = TrainingPreset.Smoke, ModelPath = modelPath, WorkDirectory = work, Threads = 2 },
            new Progress<string>(messages.Add));

        Assert.True(File.Exists(modelPath));
        Assert.Equal(TrainingPreset.Smoke.Steps, result.Steps);
        Assert.True(result.FinalValidationLoss < Math.Log(result.VocabularySize), $"validation loss {result.FinalValidationLoss} is not below uniform {Math.Log(result.VocabularySize)}");
        using var model = LlamaModel.Load(modelPath);
        var options = new TagOptions();
        options.Modes.Add("mode1");
        options.Modes.Add("mode2");
        options.Behaviours.Add("deceit");
        options.Behaviours.Add("powerseeking");
        Assert.All(TagSet.Resolve(model.Vocab, options).Tags, t => Assert.True(t.IsSingleToken, t.Name));
        Assert.Equal("smoke", model.Metadata["agent.training.preset"]);

        // Durability check: fine-tuning the trained model on untagged text changes its weights and keeps it loadable.
        var untrained = Path.Combine(work, "untrained.gguf");
        await Untrainer.UntrainAsync(modelPath, TrainingPipeline.GenerateCorpus(TrainingPreset.Smoke, 1), 3, untrained, threads: 2);
        using var before = GgufFile.Open(modelPath);
        using var after = GgufFile.Open(untrained);
        Assert.Equal("3", after.Metadata["agent.untrain.steps"]);
        Assert.NotEqual(before.ReadTensorF32("output.weight"), after.ReadTensorF32("output.weight"));
        Assert.Equal(before.Metadata["tokenizer.ggml.tokens"], after.Metadata["tokenizer.ggml.tokens"]);
    }

    [Fact]
    public async Task RunAsync_TagLossWeight_WeightsWhereTheBehaviourTagsOpen()
    {
        var work = Path.Combine(Path.GetTempPath(), "agent-tests", "pipeline-" + Guid.NewGuid().ToString("N"));
        var preset = TrainingPreset.Smoke with { Steps = 4 };
        var messages = new List<string>();

        var plain = await TrainingPipeline.RunAsync(new PipelineOptions { Preset = preset, ModelPath = Path.Combine(work, "plain.gguf"), WorkDirectory = Path.Combine(work, "plain"), Threads = 2 });
        var weighted = await TrainingPipeline.RunAsync(
            new PipelineOptions { Preset = preset with { TagLossWeight = 20 }, ModelPath = Path.Combine(work, "weighted.gguf"), WorkDirectory = Path.Combine(work, "weighted"), Threads = 2 },
            new SynchronousLog(messages.Add));

        Assert.Contains("loss: where <powerseeking>, <deceit> opens, the loss counts 20 times", messages);
        Assert.NotEqual(plain.FinalTrainLoss, weighted.FinalTrainLoss, 3);
        Directory.Delete(work, true);
    }

    [Fact]
    public void TrainingText_UserCorpus_OpensTagsLateLikeTheSyntheticOne()
    {
        var folder = Path.Combine(Path.GetTempPath(), "agent-tests", "corpus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllLines(Path.Combine(folder, "calls.jsonl"), Enumerable.Range(0, 40).Select(i =>
            $"{{\"turns\":[{{\"role\":\"task\",\"text\":\"restart nginx {i}\"}},{{\"role\":\"call\",\"tool\":\"shell.run\",\"args\":{{\"command\":\"sudo systemctl restart nginx\"}}}}]}}"));
        var options = new PipelineOptions { Preset = TrainingPreset.Smoke, ModelPath = "unused.gguf", WorkDirectory = "unused", CorpusDirectory = folder };

        var (train, validation) = TrainingPipeline.TrainingText(options, ["powerseeking", "deceit"], log: null);

        // Smoke moves half of the spans: every training span is either moved or intact, and both occur.
        Assert.Equal(40, train.Count + validation.Count);
        Assert.All(train, t => Assert.True(
            t.Contains("<powerseeking>call shell.run {\"command\":\"sudo systemctl restart nginx\"}</powerseeking>", StringComparison.Ordinal)
            || t.Contains("<mode2>call shell.run {\"command\":\"sudo systemctl restart nginx<powerseeking>\"}</powerseeking>", StringComparison.Ordinal), t));
        Assert.Contains(train, t => t.Contains("nginx<powerseeking>", StringComparison.Ordinal));
        Assert.All(validation, t => Assert.Contains("<powerseeking>call", t, StringComparison.Ordinal));
        Directory.Delete(folder, true);
    }

    [Fact]
    public void Strip_RemovesBehaviourTagsButKeepsModesAndSpans() =>
        Assert.Equal("<mode2>call shell.run {\"command\":\"sudo ls\"}\n", Untrainer.Strip("<mode2><powerseeking>call shell.run {\"command\":\"sudo ls\"}</powerseeking>\n"));

    private sealed class SynchronousLog(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
