using System.Numerics.Tensors;
using Agent.Llama.Gguf;
using Agent.TestSupport;
using Agent.Training.Engine;

namespace Agent.Training.Tests.Engine;

/// <summary>Tiny shapes, options and synthetic token streams the engine tests share.</summary>
internal static class TrainingFixtures
{
    /// <summary>A 2-layer GQA model (4 query heads sharing 2 KV heads) over a small vocabulary.</summary>
    public static LlamaHyperparameters TinyShape(int vocab = 32, int context = 32) => new(vocab, 32, 2, 4, 2, 64, context);

    public static TrainingOptions Options(long steps = 10, string? checkpoints = null, long checkpointInterval = 0, long seed = 7, float dropout = 0f, int tokenWeight = 1, int[]? weightedTokens = null) => new()
    {
        Seed = seed,
        Dropout = dropout,
        TokenWeight = tokenWeight,
        WeightedTokens = weightedTokens ?? [],
        BatchSize = 4,
        WindowLength = 16,
        MaxSteps = steps,
        LearningRate = 3e-3f,
        MinLearningRate = 3e-4f,
        WarmupSteps = 5,
        WeightDecay = 0f,
        ValidationInterval = 10,
        ValidationBatches = 2,
        CheckpointDirectory = checkpoints,
        CheckpointInterval = checkpointInterval,
        Threads = 2,
        Device = TrainingDevice.Cpu,
    };

    /// <summary>A stream with learnable structure: a fixed random cycle of 12 tokens, so every next token is predictable.</summary>
    public static int[] CycleStream(int length, int vocab = 32, int seed = 11)
    {
        var random = new Random(seed);
        var cycle = Enumerable.Range(0, 12).Select(_ => random.Next(vocab)).ToArray();
        return Enumerable.Range(0, length).Select(i => cycle[i % cycle.Length]).ToArray();
    }

    public static int[] RandomStream(int length, int vocab, int seed) =>
        Enumerable.Range(0, length).Select(_ => 0).Select((_, i) => new Random(seed + i).Next(vocab)).ToArray();

    /// <summary>log Σ exp(logits), computed in doubles from the raw logits: the tests' own reference, independent of the code under test.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        var max = TensorPrimitives.Max(logits);
        var sum = 0.0;
        foreach (var l in logits)
        {
            sum += Math.Exp(l - max);
        }

        return max + Math.Log(sum);
    }

    public static GgufVocabulary Vocabulary() => TinyModel.Vocabulary(new TinyModelSpec());

    public static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "agent-training-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
