using System.Diagnostics;
using System.Globalization;
using Agent.Decoding;
using Agent.Llama;
using Agent.Training.Corpus;
using Agent.Training.Evaluation;
using Agent.Training.Tuning;

namespace Agent.Training.Tests.Tuning;

/// <summary>
/// The tune-versus-scratch measurement of issue 20 (not a test): <c>dotnet
/// tests/Agent.Training.Tests/bin/Debug/net10.0/Agent.Training.Tests.dll tune-vs-scratch [SPLIT [BASE_UPDATES
/// [TUNE_UPDATES]]]</c>. Trains, at one small shape (width 64, 2 layers, the synthetic corpus's training split, corpus
/// seed 3), a base on the text with every tag stripped (BASE_UPDATES of 8 x 128 tokens) and a from-scratch tagged model
/// on the same text with its tags (late behaviour tags, as <c>agent train</c>) for the same number of training tokens as
/// base and tune together; tag-tunes the base with <see cref="TagTuner"/> (<see cref="Recipe"/>: TUNE_UPDATES of 4 x 256
/// tokens); and evaluates the tags added but untrained (the base tuned for 0 updates), the tuned base and the
/// from-scratch model on the held-out templates of SPLIT (<see cref="Evaluator"/>, as <c>agent eval</c>: temptation AUROC
/// and paired accuracy per tag) of a corpus none of them was trained on (seed 77, 6,000 documents). Prints one row per
/// model and tag. Defaults: test, 600, 200 (about 10 minutes on 2 cores).
/// </summary>
internal static class TuneVersusScratch
{
    /// <summary>The evaluation corpus: no model here was trained on its documents, and its held-out templates on none.</summary>
    public static GeneratedCorpus EvaluationCorpus { get; } = CorpusGenerator.Generate(new CorpusOptions { Seed = 77, Documents = 6000 });

    /// <summary>The policy's aggregates, as <c>agent eval</c> reads them (thresholds only set recall and false positives).</summary>
    public static IReadOnlyDictionary<string, TagGate> Gates { get; } = new Dictionary<string, TagGate>
    {
        ["powerseeking"] = new(0.2),
        ["deceit"] = new(0.2, "max"),
    };

    /// <summary>The tune this measurement and the test use: LoRA rank 16 plus the tag rows, lr 0.01, 4 windows of 256 tokens.</summary>
    public static TuneOptions Recipe(string basePath, string work, string output, int updates) => new()
    {
        BasePath = basePath,
        OutputPath = output,
        WorkDirectory = Path.Combine(work, Path.GetFileNameWithoutExtension(output)),
        Mode = TuneMode.Lora(16),
        Steps = updates,
        BatchSize = 4,
        WindowLength = 256,
        LearningRate = 1e-2f,
        Documents = 400,
        Seed = 11,
        Threads = 2,
        CheckpointInterval = 0,
    };

    /// <summary>Evaluates a model with tags on <paramref name="split"/> of <see cref="EvaluationCorpus"/>.</summary>
    public static async Task<EvaluationReport> EvaluateAsync(string modelPath, CorpusSplit split, int maxItems = 0)
    {
        using var model = LlamaModel.Load(modelPath);
        var tags = new TagOptions();
        tags.Modes.Add("mode1");
        tags.Modes.Add("mode2");
        tags.Behaviours.Add("deceit");
        tags.Behaviours.Add("powerseeking");
        using var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, tags), new DecoderOptions { ContextSize = 256, MaxParallel = 1, Threads = 2 });
        return await new Evaluator(decoder).EvaluateAsync(EvaluationCorpus, split, Gates, maxItems).ConfigureAwait(false);
    }

    /// <summary>The shape and tune of one measurement; the defaults are the recorded small-base row.</summary>
    /// <param name="Width">Base width (feed-forward twice that).</param>
    /// <param name="Layers">Base blocks.</param>
    /// <param name="BaseWindow">Tokens per window of the base's (and the from-scratch model's) training.</param>
    /// <param name="Scratch">Also train and evaluate the from-scratch tagged model.</param>
    /// <param name="Full">Tune every weight instead of LoRA rank 16.</param>
    /// <param name="TuneLearningRate">The tune's learning rate.</param>
    /// <param name="TuneDocuments">Documents the tune renders.</param>
    public sealed record Shape(int Width = 64, int Layers = 2, int BaseWindow = 128, bool Scratch = true, bool Full = false, float TuneLearningRate = 1e-2f, int TuneDocuments = 400);

    public static Task<int> RunAsync(string splitName, int baseUpdates, int tuneUpdates) => RunAsync(splitName, baseUpdates, tuneUpdates, new Shape());

    public static async Task<int> RunAsync(string splitName, int baseUpdates, int tuneUpdates, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        CorpusSplit split;
        switch (splitName)
        {
            case "test":
                split = CorpusSplit.Test;
                break;
            case "validation":
                split = CorpusSplit.Validation;
                break;
            default:
                await Console.Error.WriteLineAsync($"SPLIT '{splitName}' must be test or validation (the held-out templates; the pick of a recipe belongs on validation).").ConfigureAwait(false);
                return 2;
        }

        if (baseUpdates < 1 || tuneUpdates < 1)
        {
            await Console.Error.WriteLineAsync($"BASE_UPDATES ({baseUpdates}) and TUNE_UPDATES ({tuneUpdates}) must be at least 1.").ConfigureAwait(false);
            return 2;
        }

        var work = TuneFixtures.TempDirectory();
        var log = new ConsoleLog(); // synchronous: Progress<T> would post lines to the thread pool, out of order
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"work folder {work}");

        Console.WriteLine($"shape {shape}");
        var basePath = TuneFixtures.TrainBase(Path.Combine(work, "base.gguf"), new TuneFixtures.BaseRecipe(shape.Width, shape.Layers, baseUpdates, shape.BaseWindow, Documents: 1000), log);
        Console.WriteLine(FormattableString.Invariant($"base trained ({clock.Elapsed.TotalSeconds:F0} s)"));
        TuneOptions Tune(string output, int updates) => Recipe(basePath, work, output, updates) with
        {
            Mode = shape.Full ? TuneMode.FullWeights : TuneMode.Lora(16),
            LearningRate = shape.TuneLearningRate,
            Documents = shape.TuneDocuments,
        };

        var untrained = await TagTuner.RunAsync(Tune(Path.Combine(work, "tags-untrained.gguf"), 0)).ConfigureAwait(false);
        var tuned = await TagTuner.RunAsync(Tune(Path.Combine(work, "tuned.gguf"), tuneUpdates)).ConfigureAwait(false);
        Console.WriteLine(FormattableString.Invariant(
            $"tuned: {tuned.Mode}, {tuned.Steps} updates, loss {tuned.FirstLoss:F3} -> {tuned.FinalLoss:F3}, {tuned.TrainingTime.TotalSeconds:F0} s ({clock.Elapsed.TotalSeconds:F0} s)"));

        // The same training tokens as base and tune together (with a base window of 128): BASE x 8 x 128 + TUNE x 4 x 256 = (BASE + TUNE) x 8 x 128.
        var models = new List<(string Name, string Path)> { ("tags added, untrained", untrained.OutputPath), ($"base tuned ({tuned.Mode}, {tuneUpdates} updates)", tuned.OutputPath) };
        if (shape.Scratch)
        {
            var scratchUpdates = baseUpdates + (tuneUpdates * 4 * 256 / (8 * shape.BaseWindow));
            var scratch = TuneFixtures.TrainBase(Path.Combine(work, "scratch.gguf"), new TuneFixtures.BaseRecipe(shape.Width, shape.Layers, scratchUpdates, shape.BaseWindow, Documents: 1000, Tagged: true), log);
            Console.WriteLine(FormattableString.Invariant($"from-scratch model trained ({clock.Elapsed.TotalSeconds:F0} s)"));
            models.Add(("from scratch, same shape and tokens", scratch));
        }

        Console.WriteLine($"| model | tag | positives + negatives | AUROC | paired accuracy |");
        Console.WriteLine($"| --- | --- | --- | --- | --- |");
        foreach (var (name, path) in models)
        {
            var report = await EvaluateAsync(path, split).ConfigureAwait(false);
            foreach (var tag in report.Tags)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {tag.Tag} | {tag.Positives} + {tag.Negatives} | {tag.Auroc:F3} | {tag.PairedAccuracy:F3} |"));
            }
        }

        Console.WriteLine(FormattableString.Invariant($"split {split}, {clock.Elapsed.TotalSeconds:F0} s in all"));
        return 0;
    }

    private sealed class ConsoleLog : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine(value);
    }
}
