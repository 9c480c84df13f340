using Agent.Decoding;
using Agent.Llama;
using Agent.Training.Engine;

namespace Agent.Training.Tests.Engine;

/// <summary>Training with a mode head (<see cref="TrainingOptions.ModeHeadWeight"/>), and reading the head through llama.cpp.</summary>
public class LlamaTrainerModeHeadTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public async Task TrainAsync_ModeHead_HeadLossFallsAndLlamaCppEmbeddingsReadTheMode(int hidden)
    {
        var vocabulary = TrainingFixtures.Vocabulary();
        var ids = Ids(vocabulary);
        var stream = ModeStream(ids, documents: 120, seed: 3);
        var options = ModeOptions(ids, steps: 60, weight: 1f, hidden: hidden);
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(vocabulary.Tokens.Count, context: 64), options);
        var result = await trainer.TrainAsync(stream, null);

        Assert.Equal(60, result.ModeHeadLosses.Count);
        Assert.All(result.ModeHeadLosses, l => Assert.True(double.IsFinite(l)));
        double first = result.ModeHeadLosses.Take(5).Average(), last = result.ModeHeadLosses.TakeLast(5).Average();
        Assert.True(first > 0.5, $"an untrained head should be near ln 2 = 0.69, got {first}");
        Assert.True(last < first / 4, $"the head's loss fell only from {first:F3} to {last:F3}");

        var path = Path.Combine(TrainingFixtures.TempDirectory(), "model.gguf");
        trainer.SaveGguf(path, vocabulary);
        Assert.True(File.Exists(ModeHead.PathFor(path)));
        var head = ModeHead.TryLoad(path)!;
        Assert.Equal(trainer.Shape.EmbeddingSize, head.EmbeddingSize);
        Assert.Equal(hidden, head.HiddenSize);

        // llama.cpp loads the model as before (the head is not in it) and its per-token embeddings feed the head.
        using var model = LlamaModel.Load(path);
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 64, Threads = 2, Embeddings = true });
        using var batch = new LlamaBatch(64);
        var document = ModeStream(ids, documents: 1, seed: 99);
        var labels = ModeLabels.PerToken(document, 0, ids.Plain, ids.Agent, ids.Eos);
        for (var i = 0; i < document.Length - 1; i++)
        {
            batch.Add(new LlamaToken(document[i]), new LlamaPos(i), new LlamaSeqId(0), true);
        }

        context.Decode(batch);
        var correct = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var p = head.AgentProbability(context.GetEmbeddings(i));
            correct += (p > 0.5f ? 1 : 0) == labels[i] ? 1 : 0;
        }

        Assert.True(correct >= batch.Count * 0.9, $"the head read {correct} of {batch.Count} tokens' mode right");
    }

    [Fact]
    public async Task TrainAsync_ModeHead_LanguageModelLossOfFirstStepIsThePlainOne()
    {
        // The first update's loss is computed on the initial weights, which the head does not change: the language
        // model's loss the trainer reports must be exactly the one a trainer without a head reports.
        var vocabulary = TrainingFixtures.Vocabulary();
        var ids = Ids(vocabulary);
        var stream = ModeStream(ids, documents: 20, seed: 5);
        var shape = TrainingFixtures.TinyShape(vocabulary.Tokens.Count, context: 64);
        using var plain = LlamaTrainer.Create(shape, ModeOptions(ids, steps: 1, weight: 0f));
        using var withHead = LlamaTrainer.Create(shape, ModeOptions(ids, steps: 1, weight: 2f));
        var a = await plain.TrainAsync(stream, null);
        var b = await withHead.TrainAsync(stream, null);
        Assert.Empty(a.ModeHeadLosses);
        Assert.Single(b.ModeHeadLosses);
        Assert.Equal(a.TrainLosses[0], b.TrainLosses[0], 4);
    }

    [Fact]
    public void Create_ModeHeadWithoutModeTokens_ThrowsNamingThem()
    {
        var options = new TrainingOptions { ModeHeadWeight = 1f, WindowLength = 16, Device = TrainingDevice.Cpu };
        var e = Assert.Throws<ArgumentException>(() => LlamaTrainer.Create(TrainingFixtures.TinyShape(), options));
        Assert.Contains("PlainModeToken and AgentModeToken", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { ModeHeadWeight = -1f });
    }

    [Fact]
    public async Task LoadingHead_OfAnotherModel_IsRefusedNamingBothFiles()
    {
        var vocabulary = TrainingFixtures.Vocabulary();
        var ids = Ids(vocabulary);
        var dir = TrainingFixtures.TempDirectory();
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(vocabulary.Tokens.Count, context: 64), ModeOptions(ids, steps: 1, weight: 1f));
        await trainer.TrainAsync(ModeStream(ids, documents: 10, seed: 1), null);
        var path = Path.Combine(dir, "a.gguf");
        trainer.SaveGguf(path, vocabulary);
        using var other = LlamaTrainer.Create(TrainingFixtures.TinyShape(vocabulary.Tokens.Count, context: 64), ModeOptions(ids, steps: 1, weight: 0f, seed: 9));
        var otherPath = Path.Combine(dir, "b.gguf");
        other.SaveGguf(otherPath, vocabulary);
        Assert.Null(ModeHead.TryLoad(otherPath));

        File.Copy(ModeHead.PathFor(path), ModeHead.PathFor(otherPath));
        var e = Assert.Throws<ModeHeadException>(() => ModeHead.TryLoad(otherPath));
        Assert.Contains("trained with another model", e.Message, StringComparison.Ordinal);
        Assert.Contains("b.gguf", e.Message, StringComparison.Ordinal);
    }

    internal static (int Plain, int Agent, int Eos) Ids(Agent.Llama.Gguf.GgufVocabulary vocabulary)
    {
        var tokens = vocabulary.Tokens.ToList();
        return (tokens.IndexOf("<mode1>"), tokens.IndexOf("<mode2>"), tokens.IndexOf("</s>"));
    }

    /// <summary>
    /// Documents of alternating turns: a Mode 1 turn is its tag and 3 to 6 tokens drawn from letters a to m, a Mode 2
    /// turn its tag and tokens from n to z, so the mode is in the tag and in the words alike. Documents end with EOS.
    /// </summary>
    internal static int[] ModeStream((int Plain, int Agent, int Eos) ids, int documents, int seed)
    {
        var random = new Random(seed);
        var stream = new List<int>();
        for (var d = 0; d < documents; d++)
        {
            var turns = random.Next(2, 5);
            for (var t = 0; t < turns; t++)
            {
                var agent = t % 2 == 1;
                stream.Add(agent ? ids.Agent : ids.Plain);
                var length = random.Next(3, 7);
                for (var i = 0; i < length; i++)
                {
                    stream.Add(agent ? random.Next('n', 'z' + 1) : random.Next('a', 'm' + 1));
                }
            }

            stream.Add(ids.Eos);
        }

        return [.. stream];
    }

    private static TrainingOptions ModeOptions((int Plain, int Agent, int Eos) ids, long steps, float weight, long seed = 7, int hidden = 0) => new()
    {
        Seed = seed,
        BatchSize = 4,
        WindowLength = 32,
        MaxSteps = steps,
        LearningRate = 1e-2f,
        MinLearningRate = 1e-3f,
        WarmupSteps = 5,
        WeightDecay = 0f,
        DocumentSeparator = ids.Eos,
        ModeHeadWeight = weight,
        ModeHeadHidden = hidden,
        PlainModeToken = ids.Plain,
        AgentModeToken = ids.Agent,
        Threads = 2,
        Device = TrainingDevice.Cpu,
    };
}
