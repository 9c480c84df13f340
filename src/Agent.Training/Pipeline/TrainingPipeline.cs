using System.Diagnostics;
using System.Globalization;
using System.Text;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.Training.Corpus;
using Agent.Training.Engine;
using Agent.Training.Tagging;
using Agent.Training.Tokenization;

namespace Agent.Training.Pipeline;

/// <summary>
/// Corpus to shipped model in one call: generate (or read and tag) a corpus, train the byte-level BPE tokenizer with
/// every tag as one control token, tokenize the corpus with llama.cpp itself (so training sees exactly the ids inference
/// will), train the llama-architecture model on ggml, and write the GGUF. Deterministic given the seed; an interrupted
/// run resumes from its last checkpoint in the work folder.
/// </summary>
public static class TrainingPipeline
{
    /// <summary>Runs the pipeline.</summary>
    /// <exception cref="EmptyCorpusException">The user corpus has no documents.</exception>
    /// <exception cref="UntaggedCorpusException">The user corpus has no tagged span.</exception>
    /// <exception cref="TrainingDataException">The corpus is too small for one training window.</exception>
    public static async Task<PipelineResult> RunAsync(PipelineOptions options, IProgress<string>? log = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var preset = options.Preset;
        string[] behaviours = ["powerseeking", "deceit", .. options.ExtraTags];
        Directory.CreateDirectory(options.WorkDirectory);
        var (train, validation) = TrainingText(options, behaviours, log);
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"corpus: {train.Count} training and {validation.Count} validation documents, {train.Sum(t => (long)t.Length) + validation.Sum(t => (long)t.Length):N0} characters"));

        var watch = Stopwatch.StartNew();
        var bpe = BpeTrainer.Train(train, new BpeTrainerOptions { MergeCount = preset.Merges, ExtraTags = options.ExtraTags });
        var vocabulary = ToGguf(bpe);
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"tokenizer: {bpe.Count} tokens ({bpe.Merges.Length} merges, {bpe.ControlTokenIds.Count} control tokens) in {watch.Elapsed.TotalSeconds:F1} s"));

        var tokenizerPath = Path.Combine(options.WorkDirectory, "tokenizer.gguf");
        WriteTokenizerModel(tokenizerPath, vocabulary);
        int[] trainTokens, validationTokens, proseTokens = [];
        train.AddRange(options.ExtraTrainingDocuments);
        using (var tokenizer = LlamaModel.Load(tokenizerPath, new LlamaModelOptions { VocabOnly = true }))
        {
            trainTokens = Tokenize(tokenizer, train);
            validationTokens = Tokenize(tokenizer, validation);
            if (options.AgentDataFrom > 0)
            {
                proseTokens = Tokenize(tokenizer, [.. train.Where(t => !t.Contains("<mode2>", StringComparison.Ordinal))]);
            }
        }

        log?.Report(string.Create(CultureInfo.InvariantCulture, $"tokens: {trainTokens.Length:N0} training, {validationTokens.Length:N0} validation ({(train.Sum(t => (double)t.Length) / Math.Max(1, trainTokens.Length)):F2} characters per token)"));

        var shape = new LlamaHyperparameters(bpe.Count, preset.Width, preset.Layers, preset.Heads, preset.HeadsKv, preset.FeedForward, preset.Context);
        var checkpoints = Path.Combine(options.WorkDirectory, "checkpoints");
        var trainingOptions = new TrainingOptions
        {
            Seed = options.Seed,
            BatchSize = preset.BatchSize,
            WindowLength = preset.WindowLength,
            DocumentSeparator = preset.AlignWindowsToDocuments ? bpe.EosId : null,
            MaxSteps = options.Steps ?? preset.Steps,
            LearningRate = preset.LearningRate,
            Dropout = preset.Dropout,
            TokenWeight = preset.TagLossWeight,
            WeightedTokens = [.. behaviours.Select(bpe.OpenTagId)],
            ModeHeadWeight = options.ModeHeadWeight,
            ModeHeadHidden = options.ModeHeadHidden,
            PlainModeToken = bpe.OpenTagId("mode1"),
            AgentModeToken = bpe.OpenTagId("mode2"),
            MinLearningRate = preset.MinLearningRate,
            WarmupSteps = preset.WarmupSteps,
            ValidationInterval = preset.ValidationInterval,
            CheckpointDirectory = checkpoints,
            CheckpointInterval = preset.CheckpointInterval,
            Threads = options.Threads,
            Device = options.UseGpu ? TrainingDevice.Auto : TrainingDevice.Cpu,
        };

        var resume = File.Exists(Path.Combine(checkpoints, TrainingCheckpoint.WeightsFile)) && SameRecipe(options, shape);
        resume |= await TrainProseFirstAsync(options, shape, trainingOptions, resume, proseTokens, validationTokens, log, progress, cancellationToken).ConfigureAwait(false);
        using var trainer = resume ? LlamaTrainer.Resume(checkpoints, trainingOptions) : LlamaTrainer.Create(shape, trainingOptions);
        File.WriteAllText(RecipeFile(options), Recipe(options, shape));
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"model: {shape.ParameterCount:N0} parameters ({shape.ParameterCount * 4 / 1048576.0:F1} MiB as F32) on {trainer.DeviceName}; {(resume ? $"resuming at update {trainer.CompletedSteps}" : "fresh weights")}"));

        if (trainingOptions.TrainsModeHead)
        {
            log?.Report(string.Create(CultureInfo.InvariantCulture,
                $"mode head: {(options.ModeHeadHidden > 0 ? $"a hidden layer of {options.ModeHeadHidden}" : "linear")}; its loss (p(mode) at every token) counts {options.ModeHeadWeight} times beside the language model's"));
        }

        if (trainingOptions.WeightsTokens)
        {
            log?.Report(string.Create(CultureInfo.InvariantCulture,
                $"loss: where {string.Join(", ", behaviours.Select(b => $"<{b}>"))} opens, the loss counts {preset.TagLossWeight} times"));
        }

        watch.Restart();
        var result = await trainer.TrainAsync(trainTokens, validationTokens, progress, cancellationToken).ConfigureAwait(false);
        var trainingTime = watch.Elapsed;
        var lastValidation = result.ValidationLosses.Count == 0 ? (double?)null : result.ValidationLosses.MaxBy(kv => kv.Key).Value;
        trainer.SaveGguf(options.ModelPath, vocabulary, new Dictionary<string, string>
        {
            ["agent.training.preset"] = preset.Name,
            ["agent.training.seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["agent.training.steps"] = trainer.CompletedSteps.ToString(CultureInfo.InvariantCulture),
            ["agent.training.corpus"] = options.CorpusDirectory is null ? "synthetic" : "user",
            ["agent.training.validation_loss"] = lastValidation?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a",
        });
        log?.Report($"wrote {options.ModelPath}");

        return new PipelineResult(
            options.ModelPath,
            preset.Name,
            train.Count + validation.Count,
            train.Sum(t => (long)t.Length) + validation.Sum(t => (long)t.Length),
            bpe.Count,
            trainTokens.Length,
            validationTokens.Length,
            shape.ParameterCount,
            trainer.CompletedSteps,
            result.TrainLosses.Count == 0 ? double.NaN : result.TrainLosses[^1],
            lastValidation,
            result.TokensPerSecond,
            trainingTime,
            trainer.DeviceName);
    }

    /// <summary>
    /// With <see cref="PipelineOptions.AgentDataFrom"/>, the first part of the run: trains on Mode 1 prose only until that
    /// share of the updates is done, with the whole run's schedule, and leaves a checkpoint there (the trainer
    /// checkpoints when cancelled between updates). Returns whether there is a checkpoint to resume.
    /// </summary>
    private static async Task<bool> TrainProseFirstAsync(PipelineOptions options, LlamaHyperparameters shape, TrainingOptions trainingOptions, bool resume,
        int[] proseTokens, int[] validationTokens, IProgress<string>? log, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var switchAt = (long)Math.Round(trainingOptions.MaxSteps * options.AgentDataFrom);
        if (switchAt == 0)
        {
            return false;
        }

        using var trainer = resume ? LlamaTrainer.Resume(trainingOptions.CheckpointDirectory!, trainingOptions) : LlamaTrainer.Create(shape, trainingOptions);
        if (trainer.CompletedSteps >= switchAt)
        {
            return true;
        }

        File.WriteAllText(RecipeFile(options), Recipe(options, shape));
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"agent data: the first {switchAt} updates train on {proseTokens.Length:N0} tokens of Mode 1 prose only"));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await trainer.TrainAsync(proseTokens, validationTokens, new StopAtStep(switchAt, stop, progress), stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && trainer.CompletedSteps == switchAt)
        {
        }

        return true;
    }

    /// <summary>The synthetic corpus of a preset and seed (the same one <see cref="RunAsync"/> trains on).</summary>
    public static GeneratedCorpus GenerateCorpus(TrainingPreset preset, int seed)
    {
        ArgumentNullException.ThrowIfNull(preset);
        return CorpusGenerator.Generate(new CorpusOptions { Seed = seed, Documents = preset.Documents });
    }

    /// <summary>The byte-level BPE vocabulary as llama.cpp's GGUF tokenizer keys.</summary>
    public static GgufVocabulary ToGguf(BpeVocabulary bpe)
    {
        ArgumentNullException.ThrowIfNull(bpe);
        return new GgufVocabulary(
            bpe.Tokens,
            bpe.TokenTypes.Select(t => t == BpeTokenType.Control ? GgufVocabulary.Control : GgufVocabulary.Normal).ToArray(),
            bpe.Merges,
            bpe.BosId,
            bpe.EosId,
            preTokenizer: "gpt-2",
            addBos: false);
    }

    /// <summary>
    /// The training and validation text: the synthetic corpus, or the user's folder tagged by
    /// <see cref="PipelineOptions.Tagger"/> (the rule-based tagger by default). The
    /// training text's behaviour tags open late (<see cref="LateTagAugmenter"/>), whoever tagged it: a model trained on
    /// tags that open where their span starts decides before it has read the action. Validation keeps the format's own.
    /// <paramref name="render"/>, when given, renders the user's documents (the tune's transcript format); the synthetic
    /// corpus of this path is always the project's format.
    /// </summary>
    internal static (List<string> Train, List<string> Validation) TrainingText(PipelineOptions options, string[] behaviours, IProgress<string>? log,
        Func<Conversation, string>? render = null)
    {
        var random = new Random(options.Seed);
        string Augment(string text) => LateTagAugmenter.Apply(text, random, behaviours, options.Preset.LateTagFraction);
        if (options.CorpusDirectory is null)
        {
            var corpus = GenerateCorpus(options.Preset, options.Seed);
            return (corpus.DocumentsIn(CorpusSplit.Train).Select(d => Augment(d.Text)).ToList(),
                corpus.DocumentsIn(CorpusSplit.Validation).Select(d => d.Text).ToList());
        }

        var tagger = options.Tagger ?? new RuleBasedTagger();
        var tagged = CorpusReader.Read(options.CorpusDirectory, new DocumentTagger([tagger]), requireTags: true);
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"corpus: {tagged.Documents.Length} documents tagged by {tagger.Name}, {tagged.SpanCount} tag spans"));
        foreach (var error in tagged.Errors)
        {
            log?.Report($"skipped {error}");
        }

        // A user corpus has no template families: documents are split 95/5 by a hash of their source, stable across runs.
        var train = new List<string>();
        var validation = new List<string>();
        foreach (var document in tagged.Documents)
        {
            var text = render is null ? document.Text : render(document.Conversation);
            if (Fnv1a(document.Source) % 20 == 0)
            {
                validation.Add(text);
            }
            else
            {
                train.Add(Augment(text));
            }
        }

        if (validation.Count == 0 && train.Count > 1)
        {
            validation.Add(train[^1]);
            train.RemoveAt(train.Count - 1);
        }

        return (train, validation);
    }

    /// <summary>A throw-away one-layer model that carries the vocabulary, so llama.cpp can load it vocab-only and tokenize.</summary>
    private static void WriteTokenizerModel(string path, GgufVocabulary vocabulary)
    {
        var shape = new LlamaHyperparameters(vocabulary.Tokens.Count, 8, 1, 2, 2, 8, 64);
        LlamaModelWriter.Write(path, shape, vocabulary, (_, dims) => new float[dims.Aggregate(1L, (a, b) => a * b)], name: "agent-tokenizer");
    }

    /// <summary>Each document's tokens followed by EOS, concatenated.</summary>
    private static int[] Tokenize(LlamaModel tokenizer, List<string> documents)
    {
        var eos = tokenizer.Vocab.Eos.Value;
        var tokens = new List<int>();
        foreach (var document in documents)
        {
            foreach (var token in tokenizer.Vocab.Tokenize(document, addSpecial: false, parseSpecial: true))
            {
                tokens.Add(token.Value);
            }

            tokens.Add(eos);
        }

        return [.. tokens];
    }

    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }

    /// <summary>Passes progress on and cancels the run once an update count is reached (reported synchronously, in the training loop).</summary>
    private sealed class StopAtStep(long stopAt, CancellationTokenSource stop, IProgress<TrainingProgress>? inner) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            inner?.Report(value);
            if (value.Step >= stopAt)
            {
                stop.Cancel();
            }
        }
    }

    private static string RecipeFile(PipelineOptions options) => Path.Combine(options.WorkDirectory, "recipe.txt");

    private static string Recipe(PipelineOptions options, LlamaHyperparameters shape) =>
        string.Create(CultureInfo.InvariantCulture, $"{options.Preset} seed={options.Seed} corpus={options.CorpusDirectory ?? "synthetic"}{TaggerPart(options)} tags={string.Join(",", options.ExtraTags)} shape={shape}{ExperimentPart(options)}");

    /// <summary>
    /// A mode head, prose-first training or planted documents make a run of their own (its checkpoints would not fit or
    /// would mix two runs); none adds nothing, so older work folders still resume.
    /// </summary>
    private static string ExperimentPart(PipelineOptions options) =>
        (options.ModeHeadWeight > 0f ? string.Create(CultureInfo.InvariantCulture, $" mode-head={options.ModeHeadWeight}") : string.Empty)
        + (options.ModeHeadWeight > 0f && options.ModeHeadHidden > 0 ? string.Create(CultureInfo.InvariantCulture, $" mode-head-hidden={options.ModeHeadHidden}") : string.Empty)
        + (options.AgentDataFrom > 0 ? string.Create(CultureInfo.InvariantCulture, $" agent-data-from={options.AgentDataFrom}") : string.Empty)
        + (options.ExtraTrainingDocuments.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" extra={Fnv1a(string.Join('\u0001', options.ExtraTrainingDocuments)):x8}") : string.Empty);

    /// <summary>Another tagger makes another training text, so its checkpoints must not be resumed; the default (rules)
    /// adds nothing, so work folders of earlier versions still resume.</summary>
    private static string TaggerPart(PipelineOptions options) =>
        options.CorpusDirectory is null || options.Tagger is null or RuleBasedTagger ? string.Empty : $" tagger={options.Tagger.Name}";

    /// <summary>Resume only a run of the same recipe; a different one starts fresh (its checkpoints would not fit).</summary>
    private static bool SameRecipe(PipelineOptions options, LlamaHyperparameters shape) =>
        File.Exists(RecipeFile(options)) && File.ReadAllText(RecipeFile(options)) == Recipe(options, shape);
}
