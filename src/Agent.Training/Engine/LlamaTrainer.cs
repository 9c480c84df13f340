using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Agent.Decoding;
using Agent.Llama.Ggml;
using Agent.Llama.Gguf;

namespace Agent.Training.Engine;

/// <summary>
/// Trains a llama-architecture model from scratch on token streams with AdamW (through ggml-opt), a linear warm-up and
/// cosine decay, periodic validation and checkpoints, and writes the result as a GGUF that llama.cpp loads.
/// Create one with <see cref="Create"/> (fresh, seeded weights) or <see cref="Resume"/> (from a checkpoint folder).
/// Not thread-safe: one training call at a time.
/// </summary>
public sealed class LlamaTrainer : IDisposable
{
    private readonly GgmlBackend _backend;
    private readonly LlamaTrainingGraph _graph;
    private readonly GgmlOptimizer _optimizer;
    private readonly List<int> _hotLabels = [];
    private readonly List<int> _lossRows = [];
    private float[] _labels;
    private LlamaTrainingGraph.BuiltGraph _built;
    private long _windowsDrawn;
    private bool _running;

    private LlamaTrainer(LlamaHyperparameters shape, TrainingOptions options, long steps, long windowsDrawn)
    {
        Shape = shape;
        Options = options;
        CompletedSteps = steps;
        _windowsDrawn = windowsDrawn;
        _backend = options.Device switch
        {
            TrainingDevice.Cpu => GgmlBackend.Cpu(options.Threads),
            TrainingDevice.Cuda => GgmlBackend.Cuda(),
            _ => GgmlBackend.Best(options.Threads),
        };
        try
        {
            _graph = new LlamaTrainingGraph(shape, _backend, options.TrainsModeHead, options.ModeHeadHidden);
            _optimizer = new GgmlOptimizer(_backend, new GgmlOptimizerOptions
            {
                // With a mode head the graph builds its own loss (LM cross-entropy + weight × head cross-entropy).
                LossType = options.TrainsModeHead ? GgmlLossType.Sum : GgmlLossType.CrossEntropy,
                GraphSize = Math.Max(8192, (4 * (_graph.ForwardNodeEstimate + 8)) + 64),
                LearningRate = options.LearningRate,
                Beta1 = options.Beta1,
                Beta2 = options.Beta2,
                WeightDecay = options.WeightDecay,
                GradientAccumulation = options.GradientAccumulation,
                LearningRateSchedule = update => Options.LearningRateAt(update),
            });
            _labels = new float[(long)shape.VocabSize * options.WindowLength * options.BatchSize];
        }
        catch
        {
            _graph?.Dispose();
            _backend.Dispose();
            throw;
        }
    }

    /// <summary>The model shape.</summary>
    public LlamaHyperparameters Shape { get; }

    /// <summary>The training options.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Optimizer updates done so far, including those before a resume.</summary>
    public long CompletedSteps { get; private set; }

    /// <summary>The ggml backend the trainer computes on (e.g. "CPU", "GPU 0").</summary>
    public string DeviceName => _backend.Name;

    internal LlamaTrainingGraph Graph => _graph;

    /// <summary>The mode head's cross-entropy (nats per labelled token) in the last training or validation step; NaN without a head.</summary>
    internal double LastModeLoss { get; private set; } = double.NaN;

    internal GgmlBackend Backend => _backend;

    /// <summary>A trainer with fresh weights: norms 1, the rest N(0, σ) from the seed, output projections σ/sqrt(2·layers).</summary>
    /// <exception cref="ArgumentException">The window is longer than the model's context, or MinLearningRate exceeds LearningRate.</exception>
    /// <exception cref="GgmlBackendException">The device could not be opened or could not hold the weights.</exception>
    public static LlamaTrainer Create(LlamaHyperparameters shape, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(options);
        Check(shape, options);
        var trainer = new LlamaTrainer(shape, options, 0, 0);
        trainer.InitializeWeights();
        return trainer;
    }

    /// <summary>
    /// Continues from the checkpoint in <paramref name="checkpointDirectory"/>: weights, update count and window
    /// position are restored, so the next batches are exactly those the interrupted run would have drawn.
    /// </summary>
    /// <param name="checkpointDirectory">A folder a trainer wrote checkpoints to.</param>
    /// <param name="options">Options to continue with (e.g. a larger MaxSteps); null keeps the saved ones. Keep Seed,
    /// BatchSize and WindowLength to get the same batches.</param>
    /// <exception cref="TrainingCheckpointException">The folder holds no complete checkpoint, or its weights do not fit its shape.</exception>
    public static LlamaTrainer Resume(string checkpointDirectory, TrainingOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDirectory);
        var state = TrainingCheckpoint.Load(checkpointDirectory);
        var shape = state.Shape.ToShape();
        options ??= state.Options;
        Check(shape, options);
        var trainer = new LlamaTrainer(shape, options, state.Steps, state.WindowsDrawn);
        try
        {
            trainer.LoadWeights(Path.Combine(checkpointDirectory, TrainingCheckpoint.WeightsFile));
            trainer.RestoreOptimizer(Path.Combine(checkpointDirectory, TrainingCheckpoint.OptimizerFile));
        }
        catch
        {
            trainer.Dispose();
            throw;
        }

        return trainer;
    }

    /// <summary>
    /// Starts from the weights of a llama-architecture GGUF model (for fine-tuning a trained model): its shape is read
    /// from the file, the optimizer starts fresh at update 0.
    /// </summary>
    /// <exception cref="TrainingCheckpointException">The file lacks a weight, or a weight does not fit the shape.</exception>
    public static LlamaTrainer FromGguf(string modelPath, TrainingOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        ArgumentNullException.ThrowIfNull(options);
        LlamaHyperparameters shape;
        using (var file = GgufFile.Open(modelPath))
        {
            uint U(string key) => file.Metadata.TryGetValue(key, out var v) && v is uint u ? u
                : throw new TrainingCheckpointException($"'{modelPath}' has no '{key}'; it is not a llama-architecture model written by this project.");
            var vocab = file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokens) && tokens is string[] list ? list.Length : (int)U("llama.vocab_size");
            var eps = file.Metadata.TryGetValue("llama.attention.layer_norm_rms_epsilon", out var e) && e is float f ? f : 1e-5f;
            var ropeBase = file.Metadata.TryGetValue("llama.rope.freq_base", out var r) && r is float rb ? rb : 10000f;
            shape = new LlamaHyperparameters(vocab, (int)U("llama.embedding_length"), (int)U("llama.block_count"), (int)U("llama.attention.head_count"),
                (int)U("llama.attention.head_count_kv"), (int)U("llama.feed_forward_length"), (int)U("llama.context_length"), eps, ropeBase);
        }

        Check(shape, options);
        var trainer = new LlamaTrainer(shape, options, 0, 0);
        try
        {
            if (trainer._graph.HasModeHead)
            {
                trainer.InitializeWeights(); // the head starts fresh unless the model has one beside it
            }

            trainer.LoadWeights(modelPath, modelFile: true);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }

        return trainer;
    }

    /// <summary>
    /// Trains until <see cref="TrainingOptions.MaxSteps"/> updates are done, validating every
    /// <see cref="TrainingOptions.ValidationInterval"/> updates and at the end, checkpointing when a folder is set.
    /// On cancellation a checkpoint is written (when a folder is set) before the task is cancelled.
    /// </summary>
    /// <param name="trainTokens">The training stream (any tokenizer's ids), at least WindowLength + 1 tokens.</param>
    /// <param name="validationTokens">A held-out stream, or null for no validation.</param>
    /// <param name="progress">Receives a snapshot after every update.</param>
    /// <param name="cancellationToken">Stops between updates.</param>
    /// <exception cref="TrainingDataException">A stream is empty, shorter than one window, or holds ids outside the vocabulary.</exception>
    public Task<TrainingResult> TrainAsync(int[] trainTokens, int[]? validationTokens, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainTokens);
        CheckTokens(trainTokens, "training");
        if (validationTokens is not null)
        {
            CheckTokens(validationTokens, "validation");
        }

        if (_running)
        {
            throw new InvalidOperationException("This trainer is already training; await the running TrainAsync first.");
        }

        _running = true;
        return Task.Run(
            () =>
            {
                try
                {
                    return Train(trainTokens, validationTokens, progress, cancellationToken);
                }
                finally
                {
                    _running = false;
                }
            },
            cancellationToken);
    }

    /// <summary>Mean cross-entropy (nats per token) over up to ValidationBatches batches of aligned windows of <paramref name="tokens"/>.</summary>
    /// <exception cref="TrainingDataException">The stream is empty, shorter than one window, or holds ids outside the vocabulary.</exception>
    public double EvaluateLoss(int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        CheckTokens(tokens, "evaluation");
        return Validate(tokens);
    }

    /// <summary>Writes a checkpoint (weights, update count, window position, options) to <paramref name="directory"/>.</summary>
    public void SaveCheckpoint(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var state = new TrainingCheckpoint(TrainingCheckpoint.CurrentVersion, ShapeState.From(Shape), Options, CompletedSteps, _windowsDrawn);
        var moments = new List<(string, long[], float[])>();
        foreach (var (name, dims, tensor) in _graph.Parameters)
        {
            if (_optimizer.TryGetMoments(tensor, out var m, out var v))
            {
                moments.Add(("m." + name, dims, m.ToArray<float>()));
                moments.Add(("v." + name, dims, v.ToArray<float>()));
            }
        }

        TrainingCheckpoint.Save(directory, state, _graph.Parameters.Select(p => (p.Name, p.Shape, _graph.Read(p.Name))), moments);
    }

    /// <summary>
    /// Writes the model as an F32 llama GGUF that <c>LlamaModel.Load</c> (and llama.cpp) reads. <paramref name="metadata"/>
    /// adds string keys; its "general.name", if any, names the model.
    /// </summary>
    /// <exception cref="ArgumentException">The vocabulary's size is not the model's VocabSize.</exception>
    public void SaveGguf(string path, GgufVocabulary vocabulary, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["agent.training.steps"] = CompletedSteps.ToString(CultureInfo.InvariantCulture),
            ["agent.training.seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture),
        };
        var name = "agent-model";
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (key == "general.name")
            {
                name = value;
            }
            else
            {
                extra[key] = value;
            }
        }

        LlamaModelWriter.Write(path, Shape, vocabulary, (tensor, _) => _graph.Read(tensor), name, extra);
        if (_graph.HasModeHead)
        {
            // llama.cpp refuses a GGUF with tensors its architecture does not create, so the head lives beside the model.
            var hidden = _graph.ModeHeadHidden > 0;
            ModeHead.Write(path, _graph.Read(LlamaTrainingGraph.ModeHeadWeight), _graph.Read(LlamaTrainingGraph.ModeHeadBias),
                hidden ? _graph.Read(LlamaTrainingGraph.ModeHeadHiddenWeight) : null, hidden ? _graph.Read(LlamaTrainingGraph.ModeHeadHiddenBias) : null);
        }
        else if (File.Exists(ModeHead.PathFor(path)))
        {
            File.Delete(ModeHead.PathFor(path)); // the head of the model this one replaces
        }
    }

    /// <summary>Frees the weights, the optimizer state and the backend.</summary>
    public void Dispose()
    {
        _optimizer?.Dispose();
        _graph?.Dispose();
        _backend.Dispose();
    }

    private void LoadWeights(string path, bool modelFile = false)
    {
        using var file = GgufFile.Open(path);
        foreach (var (name, dims, _) in _graph.Parameters)
        {
            if (modelFile && LlamaTrainingGraph.IsModeHeadTensor(name))
            {
                continue;
            }

            var values = file.Tensors.Any(t => t.Name == name)
                ? file.ReadTensorF32(name)
                : throw new TrainingCheckpointException($"'{path}' has no tensor '{name}'; it was written for another model shape.");
            if (values.LongLength != dims.Aggregate(1L, (a, b) => a * b))
            {
                throw new TrainingCheckpointException($"Tensor '{name}' in '{path}' has {values.Length} values; the shape needs [{string.Join(", ", dims)}].");
            }

            _graph.Write(name, values);
        }

        if (modelFile && _graph.HasModeHead && ModeHead.TryLoad(path) is { } head)
        {
            if (head.EmbeddingSize != Shape.EmbeddingSize)
            {
                throw new TrainingCheckpointException($"The mode head '{ModeHead.PathFor(path)}' reads {head.EmbeddingSize} values per token; '{path}' has {Shape.EmbeddingSize}.");
            }

            if (head.HiddenSize != _graph.ModeHeadHidden)
            {
                throw new TrainingCheckpointException(string.Create(CultureInfo.InvariantCulture,
                    $"The mode head '{ModeHead.PathFor(path)}' has {head.HiddenSize} hidden units and this training asks for {_graph.ModeHeadHidden} (TrainingOptions.ModeHeadHidden); train with {head.HiddenSize}, or delete the head to start a new one."));
            }

            _graph.Write(LlamaTrainingGraph.ModeHeadWeight, head.Weights());
            _graph.Write(LlamaTrainingGraph.ModeHeadBias, head.Bias());
            if (head.HiddenSize > 0)
            {
                _graph.Write(LlamaTrainingGraph.ModeHeadHiddenWeight, head.HiddenWeights()!);
                _graph.Write(LlamaTrainingGraph.ModeHeadHiddenBias, head.HiddenBias()!);
            }
        }
    }

    private static void Check(LlamaHyperparameters shape, TrainingOptions options)
    {
        if (options.WindowLength > shape.ContextLength)
        {
            throw new ArgumentException(
                $"TrainingOptions.WindowLength {options.WindowLength} is longer than the model's context length {shape.ContextLength}; use a window of at most {shape.ContextLength} tokens or a larger ContextLength.",
                nameof(options));
        }

        if (options.MinLearningRate > options.LearningRate)
        {
            throw new ArgumentException($"TrainingOptions.MinLearningRate {options.MinLearningRate} is above LearningRate {options.LearningRate}.", nameof(options));
        }

        if (options.TrainsModeHead && (options.PlainModeToken is not { } plain || options.AgentModeToken is not { } agent
            || plain < 0 || agent < 0 || plain >= shape.VocabSize || agent >= shape.VocabSize || plain == agent))
        {
            throw new ArgumentException(
                $"TrainingOptions.ModeHeadWeight {options.ModeHeadWeight} needs PlainModeToken and AgentModeToken: two different ids of the <mode1> and <mode2> tokens inside the vocabulary [0, {shape.VocabSize}); they were {options.PlainModeToken?.ToString(CultureInfo.InvariantCulture) ?? "unset"} and {options.AgentModeToken?.ToString(CultureInfo.InvariantCulture) ?? "unset"}.",
                nameof(options));
        }

        if (options.WeightedTokens.FirstOrDefault(id => id >= shape.VocabSize, -1) is var outside and >= 0)
        {
            throw new ArgumentException(
                $"TrainingOptions.WeightedTokens holds id {outside}, outside the model's vocabulary [0, {shape.VocabSize}); weight ids of the tokenizer the model is trained with.",
                nameof(options));
        }
    }

    private void CheckTokens(int[] tokens, string what)
    {
        if (tokens.Length == 0)
        {
            throw new TrainingDataException($"The {what} token stream is empty; pass at least WindowLength + 1 = {Options.WindowLength + 1} tokens.");
        }

        if (tokens.Length < Options.WindowLength + 1)
        {
            throw new TrainingDataException(
                $"The {what} token stream has {tokens.Length} tokens; one window needs WindowLength + 1 = {Options.WindowLength + 1}. Pass more text or lower TrainingOptions.WindowLength.");
        }

        var bad = tokens.AsSpan().IndexOfAnyExceptInRange(0, Shape.VocabSize - 1);
        if (bad >= 0)
        {
            throw new TrainingDataException(
                $"The {what} token stream holds id {tokens[bad]} at index {bad}, outside the vocabulary [0, {Shape.VocabSize}). Tokenize with the model's vocabulary.");
        }
    }

    private TrainingResult Train(int[] trainTokens, int[]? validationTokens, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var o = Options;
        var sampler = new WindowSampler(trainTokens, o.WindowLength, o.Seed, o.DocumentSeparator);
        var tokensPerBatch = o.WindowLength * o.BatchSize;
        var inputs = new int[tokensPerBatch];
        var targets = new int[tokensPerBatch];
        var losses = new List<double>();
        var modeLosses = new List<double>();
        var validation = new SortedDictionary<long, double>();
        double? lastValidation = null;
        var clock = Stopwatch.StartNew();
        var trainTime = TimeSpan.Zero;
        long trainedTokens = 0;
        var startStep = CompletedSteps;
        while (CompletedSteps < o.MaxSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (o.CheckpointDirectory is { } dir)
                {
                    SaveCheckpoint(dir);
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            var stepStart = clock.Elapsed;
            var lr = o.LearningRateAt(CompletedSteps);
            double loss = 0, modeLoss = 0;
            for (var micro = 0; micro < o.GradientAccumulation; micro++)
            {
                for (var b = 0; b < o.BatchSize; b++)
                {
                    sampler.Window(_windowsDrawn++, inputs.AsSpan(b * o.WindowLength, o.WindowLength), targets.AsSpan(b * o.WindowLength, o.WindowLength));
                }

                loss += Step(inputs, targets, train: true).Loss;
                modeLoss += LastModeLoss;
            }

            loss /= o.GradientAccumulation;
            if (_graph.HasModeHead)
            {
                modeLosses.Add(modeLoss / o.GradientAccumulation);
            }

            CompletedSteps++;
            trainTime += clock.Elapsed - stepStart;
            trainedTokens += (long)tokensPerBatch * o.GradientAccumulation;
            losses.Add(loss);

            var last = CompletedSteps == o.MaxSteps;
            if (validationTokens is not null && (last || (o.ValidationInterval > 0 && CompletedSteps % o.ValidationInterval == 0)))
            {
                lastValidation = Validate(validationTokens);
                validation[CompletedSteps] = lastValidation.Value;
            }

            if (o.CheckpointDirectory is { } directory && (last || (o.CheckpointInterval > 0 && CompletedSteps % o.CheckpointInterval == 0)))
            {
                SaveCheckpoint(directory);
            }

            var done = CompletedSteps - startStep;
            var perStep = clock.Elapsed / done;
            progress?.Report(new TrainingProgress(
                CompletedSteps, o.MaxSteps, loss, lastValidation, lr, trainedTokens / Math.Max(trainTime.TotalSeconds, 1e-9), clock.Elapsed, perStep * (o.MaxSteps - CompletedSteps)));
        }

        return new TrainingResult(losses, validation, trainedTokens / Math.Max(trainTime.TotalSeconds, 1e-9)) { ModeHeadLosses = modeLosses };
    }

    private double Validate(int[] tokens)
    {
        var o = Options;
        var windows = (tokens.Length - 1) / o.WindowLength;
        var batches = Math.Min(o.ValidationBatches, (windows + o.BatchSize - 1) / o.BatchSize);
        var inputs = new int[o.WindowLength * o.BatchSize];
        var targets = new int[inputs.Length];
        double total = 0;
        for (var batch = 0; batch < batches; batch++)
        {
            for (var b = 0; b < o.BatchSize; b++)
            {
                // A short last batch is filled with windows from the start of the stream again.
                var start = ((batch * o.BatchSize) + b) % windows * o.WindowLength;
                tokens.AsSpan(start, o.WindowLength).CopyTo(inputs.AsSpan(b * o.WindowLength));
                tokens.AsSpan(start + 1, o.WindowLength).CopyTo(targets.AsSpan(b * o.WindowLength));
            }

            total += Step(inputs, targets, train: false).Loss;
        }

        return total / batches;
    }

    /// <summary>
    /// Brings a fresh ggml-opt context to the interrupted run's optimizer state. ggml-opt keeps its update counter
    /// (which sets AdamW's bias correction) private and offers no setter, so it is replayed: one cheap update per
    /// completed step on a 2-token window (the graph has the same nodes at any size), after which the weights are
    /// restored again and the saved moments are written over the replay's.
    /// </summary>
    private void RestoreOptimizer(string path)
    {
        if (CompletedSteps == 0)
        {
            return;
        }

        if (!File.Exists(path))
        {
            throw new TrainingCheckpointException($"'{path}' is missing; a checkpoint after {CompletedSteps} updates needs the AdamW moments to resume.");
        }

        var weights = _graph.Parameters.Select(p => _graph.Read(p.Name)).ToArray();
        int[] dummy = [0, 0];
        for (long i = 0; i < CompletedSteps * Options.GradientAccumulation; i++)
        {
            Step(dummy, dummy, train: true, window: 2, batch: 1);
        }

        using var file = GgufFile.Open(path);
        for (var i = 0; i < weights.Length; i++)
        {
            var (name, _, tensor) = _graph.Parameters[i];
            _graph.Write(name, weights[i]);
            if (!_optimizer.TryGetMoments(tensor, out var m, out var v) || !file.Tensors.Any(t => t.Name == "m." + name))
            {
                throw new TrainingCheckpointException($"'{path}' has no AdamW moments for '{name}'.");
            }

            m.SetData(file.ReadTensorF32("m." + name));
            v.SetData(file.ReadTensorF32("v." + name));
        }
    }

    /// <summary>Random streams of dropout masks count down from here, one per batch (keyed by the windows drawn before it).</summary>
    private const long DropoutStream = -1_000_000;

    internal GgmlStepResult Step(int[] inputs, int[] targets, bool train) => Step(inputs, targets, train, Options.WindowLength, Options.BatchSize);

    private GgmlStepResult Step(int[] inputs, int[] targets, bool train, int window, int batch)
    {
        // Token weighting repeats a weighted position's logits row (TokenWeight - 1) more times before ggml-opt's
        // cross-entropy (the mean over rows), through a get_rows whose backward adds the repeats' gradients back up:
        // the loss at that position counts TokenWeight times. Scaling the one-hot label instead would not do it, since
        // ggml's cross-entropy backward is softmax - labels and assumes the labels sum to 1. The rows input is in the
        // graph at every step (the node count must not change); validation and the optimizer replay take each row once.
        _lossRows.Clear();
        for (var i = 0; i < targets.Length; i++)
        {
            _lossRows.Add(i);
        }

        if (train && Options.WeightsTokens)
        {
            for (var i = 0; i < targets.Length; i++)
            {
                if (Array.IndexOf(Options.WeightedTokens, targets[i]) >= 0)
                {
                    for (var r = 1; r < Options.TokenWeight; r++)
                    {
                        _lossRows.Add(i);
                    }
                }
            }
        }

        GgmlTensor? lossRows = null;
        ModeLoss? mode = null;
        var modeLabels = _graph.HasModeHead ? ModeLabels.Of(inputs, window, Options.PlainModeToken!.Value, Options.AgentModeToken!.Value, Options.DocumentSeparator) : null;
        GgmlForward Build(GgmlContext ctx)
        {
            _built = _graph.Build(ctx, window, batch, dropout: Options.Dropout > 0f);
            var lm = _built.Logits;
            if (Options.WeightsTokens)
            {
                lossRows = ctx.NewTensor(GgmlType.I32, _lossRows.Count).SetName("loss_rows").SetInput();
                lm = ctx.GetRows(_built.Logits, lossRows.Value);
            }

            if (modeLabels is null)
            {
                return new GgmlForward(_built.Tokens, lm);
            }

            mode = ModeLoss.Build(ctx, lm, _built.ModeLogits!.Value, modeLabels, Options.ModeHeadWeight, Options.GradientAccumulation);
            return new GgmlForward(_built.Tokens, mode.Total);
        }

        void SetInputs(GgmlOptimizerBatch b)
        {
            LlamaTrainingGraph.SetInputs(_built, inputs, window);
            var masks = SplitMix64.ForStream(Options.Seed, DropoutStream - _windowsDrawn);
            LlamaTrainingGraph.SetDropout(_built, train ? Options.Dropout : 0f, ref masks);
            if (lossRows is { } rows)
            {
                rows.SetData<int>(CollectionsMarshal.AsSpan(_lossRows));
            }

            var vocab = Shape.VocabSize;
            if ((long)_lossRows.Count * vocab > _labels.Length)
            {
                _labels = new float[(long)_lossRows.Count * vocab];
                _hotLabels.Clear();
            }

            foreach (var i in _hotLabels)
            {
                _labels[i] = 0f;
            }

            _hotLabels.Clear();
            for (var row = 0; row < _lossRows.Count; row++)
            {
                var index = (row * vocab) + targets[_lossRows[row]];
                _labels[index] = 1f;
                _hotLabels.Add(index);
            }

            (mode?.LmLabels ?? b.Labels).SetData(_labels.AsSpan(0, vocab * _lossRows.Count));
            mode?.SetInputs(modeLabels!);
        }

        if (modeLabels is null)
        {
            return train ? _optimizer.Train(Build, SetInputs) : _optimizer.Evaluate(Build, SetInputs);
        }

        double lmLoss = double.NaN, modeLoss = double.NaN;
        void Read() => (lmLoss, modeLoss) = mode!.Read();
        var result = train ? _optimizer.Train(Build, SetInputs, Read) : _optimizer.Evaluate(Build, SetInputs, Read);
        LastModeLoss = modeLoss;
        return result with { Loss = lmLoss };
    }

    private void InitializeWeights()
    {
        var rng = SplitMix64.ForStream(Options.Seed, -1);
        var std = Options.InitStandardDeviation;
        var projectionStd = std / MathF.Sqrt(2f * Shape.LayerCount);
        foreach (var (name, dims, _) in _graph.Parameters)
        {
            var values = new float[dims.Aggregate(1L, (a, b) => a * b)];
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                Array.Fill(values, 1f);
            }
            else
            {
                var sigma = name.EndsWith("attn_output.weight", StringComparison.Ordinal) || name.EndsWith("ffn_down.weight", StringComparison.Ordinal) ? projectionStd : std;
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = (float)(rng.NextGaussian() * sigma);
                }
            }

            _graph.Write(name, values);
        }
    }
}
