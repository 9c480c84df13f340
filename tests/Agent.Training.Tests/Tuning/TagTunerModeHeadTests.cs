using System.Globalization;
using Agent.Decoding;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.Training.Engine;
using Agent.Training.Tuning;
using Xunit.Abstractions;

namespace Agent.Training.Tests.Tuning;

/// <summary><c>agent tune --mode-head-weight</c>: a mode head trained with the tune and written beside the merged model.</summary>
public class TagTunerModeHeadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_ModeHead_HeadLossFallsAndLlamaCppEmbeddingsOfTheMergedModelReadTheMode()
    {
        var work = TuneFixtures.TempDirectory();
        var merged = Path.Combine(work, "tuned.gguf");

        var result = await TagTuner.RunAsync(Options(work, merged) with { Steps = 30 });

        Assert.Equal(30, result.ModeHeadLosses.Count);
        Assert.All(result.ModeHeadLosses, l => Assert.True(double.IsFinite(l)));
        double first = result.ModeHeadLosses.Take(3).Average(), last = result.ModeHeadLosses.TakeLast(3).Average();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mode head loss {first:F3} -> {last:F3} (means of the first and last 3 of 30 updates); LM loss {result.FirstLoss:F3} -> {result.FinalLoss:F3}"));
        Assert.True(Math.Abs(first - Math.Log(2)) < 0.05, $"a zero-initialised head starts at ln 2 = 0.693, got {first:F3}");
        Assert.True(last < first * 0.7, $"the head's loss fell only from {first:F3} to {last:F3}");

        // The sidecar belongs to the merged model and reads llama.cpp's per-token last-layer states of it.
        Assert.Equal(ModeHead.PathFor(merged), result.ModeHeadPath);
        var head = ModeHead.TryLoad(merged)!;
        Assert.NotNull(head);
        Assert.Equal(64, head.EmbeddingSize);
        var (accuracy, agentMean, plainMean, count) = ReadModes(merged, head);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out documents through llama.cpp: {count} labelled tokens, accuracy {accuracy:P1}, mean p(mode2) {agentMean:F3} on Mode 2 tokens and {plainMean:F3} on Mode 1 tokens"));
        Assert.True(agentMean > plainMean + 0.1, $"p(mode2) is {agentMean:F3} on Mode 2 tokens and {plainMean:F3} on Mode 1 tokens");
        Assert.True(accuracy > 0.7, $"the head read {accuracy:P1} of the held-out tokens' mode right");
    }

    [Fact]
    public async Task RunAsync_HiddenModeHead_HeadLossFallsAndTheSidecarCarriesTheLayer()
    {
        var work = TuneFixtures.TempDirectory();
        var merged = Path.Combine(work, "tuned.gguf");

        var result = await TagTuner.RunAsync(Options(work, merged) with { Steps = 30, ModeHeadHidden = 16 });

        double first = result.ModeHeadLosses.Take(3).Average(), last = result.ModeHeadLosses.TakeLast(3).Average();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hidden head (16): loss {first:F3} -> {last:F3} (means of the first and last 3 of 30 updates)"));
        Assert.True(last < first * 0.7, $"the head's loss fell only from {first:F3} to {last:F3}");
        var head = ModeHead.TryLoad(merged)!;
        Assert.Equal(16, head.HiddenSize);
        Assert.Equal(64, head.EmbeddingSize);
        Assert.Equal(64 * 16, head.HiddenWeights()!.Length);
        var (accuracy, agentMean, plainMean, count) = ReadModes(merged, head);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out documents through llama.cpp: {count} labelled tokens, accuracy {accuracy:P1}, mean p(mode2) {agentMean:F3} on Mode 2 tokens and {plainMean:F3} on Mode 1 tokens"));
        Assert.True(agentMean > plainMean + 0.1, $"p(mode2) is {agentMean:F3} on Mode 2 tokens and {plainMean:F3} on Mode 1 tokens");
    }

    [Fact]
    public async Task RunAsync_ModeHead_InterruptedRunResumesWithTheHeadToTheSameHeadAsAnUninterruptedOne()
    {
        var work = TuneFixtures.TempDirectory();
        var straight = await TagTuner.RunAsync(Options(work, Path.Combine(work, "straight.gguf")) with { Steps = 4, WorkDirectory = Path.Combine(work, "a") });
        using var cancel = new CancellationTokenSource();
        var interrupted = Options(work, Path.Combine(work, "resumed.gguf")) with { Steps = 4, WorkDirectory = Path.Combine(work, "b") };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            TagTuner.RunAsync(interrupted, progress: new Inline<TrainingProgress>(p => { if (p.Step == 2) { cancel.Cancel(); } }), cancellationToken: cancel.Token));
        using (var checkpoint = GgufFile.Open(Path.Combine(work, "b", "tune-checkpoint.gguf")))
        {
            Assert.Contains(checkpoint.Tensors, t => t.Name == TuneGraph.ModeHeadWeight);
            Assert.Contains(checkpoint.Tensors, t => t.Name == "m." + TuneGraph.ModeHeadWeight);
            Assert.NotEqual(new float[128], checkpoint.ReadTensorF32(TuneGraph.ModeHeadWeight)); // trained for 2 updates, no longer the zero start
        }

        Assert.False(File.Exists(ModeHead.PathFor(interrupted.OutputPath)));
        var resumed = await TagTuner.RunAsync(interrupted);

        Assert.Equal(2, resumed.ResumedAt);
        Assert.Equal(2, resumed.ModeHeadLosses.Count);
        Assert.Equal(straight.ModeHeadLosses.Skip(2), resumed.ModeHeadLosses);
        var a = ModeHead.TryLoad(straight.OutputPath)!;
        var b = ModeHead.TryLoad(resumed.OutputPath)!;
        Assert.Equal(a.Weights(), b.Weights());
        Assert.Equal(a.Bias(), b.Bias());
    }

    [Fact]
    public async Task RunAsync_WithoutModeHead_WritesNoSidecarAndRemovesTheOneOfTheModelItReplaces()
    {
        var work = TuneFixtures.TempDirectory();
        var output = Path.Combine(work, "tuned.gguf");
        var stale = ModeHead.PathFor(output);
        File.WriteAllText(stale, "the head of an earlier model at this path");

        var result = await TagTuner.RunAsync(Options(work, output) with { Steps = 0, ModeHeadWeight = 0f });

        Assert.Null(result.ModeHeadPath);
        Assert.Empty(result.ModeHeadLosses);
        Assert.False(File.Exists(stale));
        Assert.Null(ModeHead.TryLoad(output));
    }

    [Fact]
    public async Task RunAsync_ModeHeadWithZeroSteps_IsRefusedBeforeAnyWork()
    {
        var work = TuneFixtures.TempDirectory();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => TagTuner.RunAsync(Options(work, Path.Combine(work, "out.gguf")) with { Steps = 0 }));

        Assert.Contains("Steps is 0", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(work, "work")));
        Assert.Throws<ArgumentOutOfRangeException>(() => Options(work, "x.gguf") with { ModeHeadWeight = float.NaN });
    }

    /// <summary>
    /// Held-out documents (another corpus seed, rendered as the tune renders them) through llama.cpp with embeddings on:
    /// the head's accuracy against <see cref="ModeLabels"/> and its mean p(mode2) on each class.
    /// </summary>
    private static (double Accuracy, double AgentMean, double PlainMean, int Count) ReadModes(string modelPath, ModeHead head)
    {
        var documents = TagTuner.TrainingDocuments(Options(".", modelPath) with { Seed = 77, Documents = 30 }, ["powerseeking", "deceit"], null);
        using var model = LlamaModel.Load(modelPath);
        int plain = model.Vocab.FindToken("<mode1>")!.Value.Value, agent = model.Vocab.FindToken("<mode2>")!.Value.Value;
        int correct = 0, count = 0, agents = 0, plains = 0;
        double agentSum = 0, plainSum = 0;
        foreach (var document in documents.Take(12))
        {
            var ids = model.Vocab.Tokenize(document, addSpecial: true, parseSpecial: true).Take(128).ToArray();
            var labels = ModeLabels.PerToken([.. ids.Select(t => t.Value)], 0, plain, agent, null);
            using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 128, Threads = 2, Embeddings = true });
            using var batch = new LlamaBatch(128);
            for (var i = 0; i < ids.Length; i++)
            {
                batch.Add(ids[i], new LlamaPos(i), new LlamaSeqId(0), true);
            }

            context.Decode(batch);
            for (var i = 0; i < ids.Length; i++)
            {
                if (labels[i] == ModeLabels.None)
                {
                    continue;
                }

                var p = head.AgentProbability(context.GetEmbeddings(i));
                count++;
                correct += (p > 0.5f ? 1 : 0) == labels[i] ? 1 : 0;
                if (labels[i] == 1)
                {
                    agents++;
                    agentSum += p;
                }
                else
                {
                    plains++;
                    plainSum += p;
                }
            }
        }

        Assert.True(agents > 0 && plains > 0, $"the held-out documents have {agents} Mode 2 and {plains} Mode 1 tokens; the test needs both");
        return ((double)correct / count, agentSum / agents, plainSum / plains, count);
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
        LearningRate = 1e-2f,
        Documents = 300,
        Threads = 2,
        ModeHeadWeight = 1f,
    };

    private sealed class Inline<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
