using System.Text.Json;
using Agent.Llama.Gguf;

namespace Agent.Training.Engine;

/// <summary>
/// A checkpoint folder: <c>weights.gguf</c> (every weight, F32, llama.cpp names) and <c>state.json</c> (format version,
/// model shape, options, optimizer updates done and windows drawn, which with the seed is the whole sampler state).
/// state.json is written last and atomically, so a folder whose state.json exists is complete.
/// </summary>
internal sealed record TrainingCheckpoint(int Version, ShapeState Shape, TrainingOptions Options, long Steps, long WindowsDrawn)
{
    public const string WeightsFile = "weights.gguf";
    public const string StateFile = "state.json";
    public const string OptimizerFile = "optimizer.gguf";
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(string directory, TrainingCheckpoint state, IEnumerable<(string Name, long[] Shape, float[] Values)> weights,
        IReadOnlyList<(string Name, long[] Shape, float[] Values)> moments)
    {
        Directory.CreateDirectory(directory);
        var weightsPath = Path.Combine(directory, WeightsFile);
        var statePath = Path.Combine(directory, StateFile);
        WriteTensors(weightsPath + ".tmp", state.Steps, weights);

        var optimizerPath = Path.Combine(directory, OptimizerFile);
        WriteTensors(optimizerPath + ".tmp", state.Steps, moments);
        File.Move(weightsPath + ".tmp", weightsPath, overwrite: true);
        File.Move(optimizerPath + ".tmp", optimizerPath, overwrite: true);
        File.WriteAllText(statePath + ".tmp", JsonSerializer.Serialize(state, Json));
        File.Move(statePath + ".tmp", statePath, overwrite: true);
    }

    private static void WriteTensors(string path, long steps, IEnumerable<(string Name, long[] Shape, float[] Values)> tensors)
    {
        using var writer = new GgufWriter();
        writer.Set("general.architecture", "agent-checkpoint").Set("agent.checkpoint.steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, shape, values) in tensors)
        {
            writer.AddTensor(name, values, shape);
        }

        writer.WriteToFile(path);
    }

    public static TrainingCheckpoint Load(string directory)
    {
        var statePath = Path.Combine(directory, StateFile);
        if (!File.Exists(statePath) || !File.Exists(Path.Combine(directory, WeightsFile)))
        {
            throw new TrainingCheckpointException(
                $"'{directory}' holds no complete checkpoint: {StateFile} and {WeightsFile} are both needed. Point Resume at the folder given as TrainingOptions.CheckpointDirectory.");
        }

        TrainingCheckpoint? state;
        try
        {
            state = JsonSerializer.Deserialize<TrainingCheckpoint>(File.ReadAllText(statePath), Json);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new TrainingCheckpointException($"'{statePath}' is not a valid checkpoint state: {e.Message}", e);
        }

        if (state is null || state.Version != CurrentVersion)
        {
            throw new TrainingCheckpointException($"'{statePath}' has format version {state?.Version}; this build reads version {CurrentVersion}.");
        }

        return state;
    }
}

/// <summary>The model shape as stored in a checkpoint.</summary>
internal sealed record ShapeState(int VocabSize, int EmbeddingSize, int LayerCount, int HeadCount, int HeadCountKv, int FeedForwardSize, int ContextLength, float RmsNormEpsilon, float RopeFrequencyBase)
{
    public static ShapeState From(LlamaHyperparameters s) =>
        new(s.VocabSize, s.EmbeddingSize, s.LayerCount, s.HeadCount, s.HeadCountKv, s.FeedForwardSize, s.ContextLength, s.RmsNormEpsilon, s.RopeFrequencyBase);

    public LlamaHyperparameters ToShape() =>
        new(VocabSize, EmbeddingSize, LayerCount, HeadCount, HeadCountKv, FeedForwardSize, ContextLength, RmsNormEpsilon, RopeFrequencyBase);
}
