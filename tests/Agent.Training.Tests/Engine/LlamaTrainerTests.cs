using Agent.Llama;
using Agent.Training.Engine;

namespace Agent.Training.Tests.Engine;

public class LlamaTrainerTests
{
    [Fact]
    public async Task TrainAsync_FewSteps_ChangesEveryWeight()
    {
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(steps: 3));
        var before = trainer.Graph.Parameters.Select(p => trainer.Graph.Read(p.Name)).ToArray();
        await trainer.TrainAsync(TrainingFixtures.CycleStream(400), null);
        var unchanged = trainer.Graph.Parameters.Where((p, i) => before[i].SequenceEqual(trainer.Graph.Read(p.Name))).Select(p => p.Name).ToList();
        Assert.Empty(unchanged);
        Assert.Equal(3, trainer.CompletedSteps);
    }

    [Fact]
    public async Task TrainAsync_RepeatingPattern_LowersValidationLoss()
    {
        var options = new TrainingOptions
        {
            Seed = 1, BatchSize = 4, WindowLength = 16, MaxSteps = 40, LearningRate = 1e-2f, MinLearningRate = 1e-3f, WarmupSteps = 5, WeightDecay = 0f,
            ValidationInterval = 20, ValidationBatches = 2, Threads = 2, Device = TrainingDevice.Cpu,
        };
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(), options);
        var validation = TrainingFixtures.CycleStream(200, seed: 11)[5..];
        var initial = trainer.EvaluateLoss(validation);
        var reports = new List<TrainingProgress>();
        var result = await trainer.TrainAsync(TrainingFixtures.CycleStream(600, seed: 11), validation, new SynchronousProgress(reports.Add));

        Assert.True(initial > 3.0, $"an untrained model should be near ln(32) = 3.47, got {initial}");
        Assert.Equal([20L, 40L], result.ValidationLosses.Keys);
        Assert.True(result.ValidationLosses[40] < initial / 3, $"validation loss {initial} -> {result.ValidationLosses[40]}");
        Assert.Equal(40, reports.Count);
        Assert.All(reports, r => Assert.True(r.TokensPerSecond > 0 && r.LearningRate > 0));
        Assert.Equal(result.ValidationLosses[40], reports[^1].ValidationLoss);
        Assert.Equal(TimeSpan.Zero, reports[^1].EstimatedRemaining);
    }

    [Fact]
    public async Task TrainAsync_SameSeed_GivesIdenticalLosses()
    {
        var stream = TrainingFixtures.RandomStream(500, 32, 2);
        using var a = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(steps: 6));
        using var b = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(steps: 6));
        using var c = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(steps: 6, seed: 8));
        var first = await a.TrainAsync(stream, null);
        var second = await b.TrainAsync(stream, null);
        var other = await c.TrainAsync(stream, null);
        Assert.Equal(first.TrainLosses, second.TrainLosses);
        Assert.NotEqual(first.TrainLosses, other.TrainLosses);
    }

    [Fact]
    public async Task TrainAsync_WithDropout_DropsOnlyInTraining()
    {
        // Validation sees all-ones masks, training does not.
        var stream = TrainingFixtures.RandomStream(500, 32, 4);
        await AssertOnlyTrainingDiffersAsync(stream, TrainingFixtures.Options(steps: 1, dropout: 0.5f), "half the activations were dropped");
    }

    [Fact]
    public void Options_DropoutOutsideTheUnitInterval_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Dropout = 1f });
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Dropout = -0.1f });
    }

    [Fact]
    public async Task TrainAsync_WeightedTokens_CountTheirLossTokenWeightTimes()
    {
        // A 17-token stream is one 16-token window, drawn for all four windows of the batch: the first update's loss is
        // computed on the initial weights, so it can be checked against each position's cross-entropy under them.
        var stream = TrainingFixtures.RandomStream(17, 32, 5);
        int[] inputs = stream[..16], targets = stream[1..];
        var weightedToken = targets[2];
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(steps: 1, tokenWeight: 5, weightedTokens: [weightedToken]));
        var logits = trainer.Graph.Logits(trainer.Backend, inputs, 16);
        var crossEntropy = targets.Select((target, i) =>
        {
            var row = logits.AsSpan(i * 32, 32);
            return TrainingFixtures.LogSumExp(row) - row[target];
        }).ToArray();
        var weighted = targets.Select((t, i) => (t, i)).Where(p => p.t == weightedToken).Sum(p => crossEntropy[p.i]);
        var repeats = targets.Count(t => t == weightedToken);
        var expected = (crossEntropy.Sum() + (4 * weighted)) / (16 + (4 * repeats));

        var loss = (await trainer.TrainAsync(stream, null)).TrainLosses[0];

        Assert.Equal(expected, loss, 4);
        Assert.NotEqual(crossEntropy.Average(), loss, 3);
    }

    [Fact]
    public async Task TrainAsync_WeightedTokens_ValidationLossStaysThePlainMean()
    {
        var stream = TrainingFixtures.RandomStream(500, 32, 6);
        await AssertOnlyTrainingDiffersAsync(stream, TrainingFixtures.Options(steps: 1, tokenWeight: 8, weightedTokens: [stream[1], stream[2]]), "two tokens' loss counted 8 times");
    }

    [Fact]
    public void Create_TokenWeightingBeyondTheVocabulary_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { TokenWeight = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { WeightedTokens = [-1] });
        var e = Assert.Throws<ArgumentException>(() => LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(tokenWeight: 2, weightedTokens: [32])));
        Assert.Contains("id 32", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0f, 1)]
    [InlineData(0.3f, 1)]
    [InlineData(0f, 6)]
    public async Task Resume_FromCheckpoint_ReproducesTheUninterruptedLosses(float dropout, int tokenWeight)
    {
        var stream = TrainingFixtures.RandomStream(500, 32, 3);
        var dir = TrainingFixtures.TempDirectory();
        using (var full = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(steps: 10, dropout: dropout, tokenWeight: tokenWeight, weightedTokens: [3, 17])))
        {
            var expected = (await full.TrainAsync(stream, null)).TrainLosses;

            using (var interrupted = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(steps: 10, checkpoints: dir, checkpointInterval: 4, dropout: dropout, tokenWeight: tokenWeight, weightedTokens: [3, 17])))
            {
                using var cancel = new CancellationTokenSource();
                var progress = new SynchronousProgress(p =>
                {
                    if (p.Step == 6)
                    {
                        cancel.Cancel(); // interrupted after 6 updates; the last periodic checkpoint is from update 4... and cancellation writes one at 6
                    }
                });
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => interrupted.TrainAsync(stream, null, progress, cancel.Token));
            }

            using var resumed = LlamaTrainer.Resume(dir);
            Assert.Equal(6, resumed.CompletedSteps);
            var rest = (await resumed.TrainAsync(stream, null)).TrainLosses;
            Assert.Equal(expected.Skip(6), rest);
        }

        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task SaveGguf_TrainedModel_LoadsInLlamaCppWithMetadata()
    {
        var vocabulary = TrainingFixtures.Vocabulary();
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(vocabulary.Tokens.Count), TrainingFixtures.Options(steps: 2));
        await trainer.TrainAsync(TrainingFixtures.CycleStream(300, vocabulary.Tokens.Count), null);
        var path = Path.Combine(TrainingFixtures.TempDirectory(), "model.gguf");
        trainer.SaveGguf(path, vocabulary, new Dictionary<string, string> { ["general.name"] = "tiny-trained", ["agent.recipe"] = "test" });

        using var model = LlamaModel.Load(path);
        Assert.Equal("llama", model.Architecture);
        Assert.Equal("tiny-trained", model.Metadata["general.name"]);
        Assert.Equal("2", model.Metadata["agent.training.steps"]);
        Assert.Equal((ulong)trainer.Shape.ParameterCount, model.ParameterCount);
    }

    [Fact]
    public async Task TrainAsync_EmptyStream_ThrowsTrainingDataException()
    {
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options());
        var e = await Assert.ThrowsAsync<TrainingDataException>(() => trainer.TrainAsync([], null));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainAsync_StreamShorterThanAWindow_ThrowsTrainingDataException()
    {
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options());
        var e = await Assert.ThrowsAsync<TrainingDataException>(() => trainer.TrainAsync(new int[16], null));
        Assert.Contains("WindowLength + 1 = 17", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(-1)]
    public async Task TrainAsync_TokenOutsideVocabulary_ThrowsNamingTheToken(int token)
    {
        using var trainer = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options());
        var stream = TrainingFixtures.CycleStream(100);
        stream[42] = token;
        var e = await Assert.ThrowsAsync<TrainingDataException>(() => trainer.TrainAsync(TrainingFixtures.CycleStream(100), stream));
        Assert.Contains($"id {token} at index 42", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WindowLongerThanContext_ThrowsNamingBoth()
    {
        var options = new TrainingOptions { WindowLength = 64, Device = TrainingDevice.Cpu };
        var e = Assert.Throws<ArgumentException>(() => LlamaTrainer.Create(TrainingFixtures.TinyShape(context: 32), options));
        Assert.Contains("WindowLength 64", e.Message, StringComparison.Ordinal);
        Assert.Contains("context length 32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_EmptyFolder_ThrowsTrainingCheckpointException()
    {
        var dir = TrainingFixtures.TempDirectory();
        Assert.Throws<TrainingCheckpointException>(() => LlamaTrainer.Resume(dir));
        Directory.Delete(dir);
    }

    /// <summary>
    /// A trainer with <paramref name="options"/> and a plain one of the same seed (so the same initial weights) give the
    /// same validation loss on <paramref name="stream"/>, but a different first training loss.
    /// </summary>
    private static async Task AssertOnlyTrainingDiffersAsync(int[] stream, TrainingOptions options, string change)
    {
        using var plain = LlamaTrainer.Create(TrainingFixtures.TinyShape(), TrainingFixtures.Options(steps: 1));
        using var changed = LlamaTrainer.Create(TrainingFixtures.TinyShape(), options);
        Assert.Equal(plain.EvaluateLoss(stream), changed.EvaluateLoss(stream), 5);
        var plainLoss = (await plain.TrainAsync(stream, null)).TrainLosses[0];
        var changedLoss = (await changed.TrainAsync(stream, null)).TrainLosses[0];
        Assert.True(Math.Abs(plainLoss - changedLoss) > 1e-3, $"{change}, yet the loss stayed {plainLoss}");
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
