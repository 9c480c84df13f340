using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Agent.Decoding.Transcripts;
using Agent.Llama.Ggml;
using Agent.Llama.Gguf;
using Agent.Training.Engine;

namespace Agent.Training.Tuning;

/// <summary>
/// The training loop of a tuning run over a <see cref="TuneGraph"/>: AdamW through ggml-opt (no weight decay), a linear
/// warm-up over the first tenth and cosine decay to a tenth of the peak, windows drawn by <see cref="WindowSampler"/>
/// from document starts, checkpoints of the trained tensors and their moments in the work folder, and resume. With a
/// mode head the step's loss is <see cref="ModeLoss"/>: the language model's cross-entropy plus the weight times the
/// head's over the tokens <see cref="ModeLabels"/> finds in a mode span, as in from-scratch training.
/// </summary>
internal sealed class TuneSession : IDisposable
{
    private const string CheckpointName = "tune-checkpoint.gguf";
    private readonly TuneGraph _graph;
    private readonly TuneOptions _options;
    private readonly GgmlOptimizer _optimizer;
    private readonly int _window;
    private readonly int _separator;
    private readonly string _recipe;
    private readonly (int Plain, int Agent, int? TurnStart)? _modeTokens;
    private float[] _labels = [];
    private long _windowsDrawn;
    private double _lastModeLoss = double.NaN;

    /// <param name="graph">The model being tuned.</param>
    /// <param name="backend">Where it computes.</param>
    /// <param name="options">The run.</param>
    /// <param name="window">Tokens per window.</param>
    /// <param name="separator">The document separator (EOS): windows start after it, and it ends a mode span.</param>
    /// <param name="modeTokens">The ids of <c>&lt;mode1&gt;</c> and <c>&lt;mode2&gt;</c>, and of a chat template's turn start (which ends a mode span), needed when the graph has a mode head.</param>
    public TuneSession(TuneGraph graph, GgmlBackend backend, TuneOptions options, int window, int separator, (int Plain, int Agent, int? TurnStart)? modeTokens = null)
    {
        if (graph.HasModeHead && modeTokens is null)
        {
            throw new ArgumentException("A tune graph with a mode head needs the ids of <mode1> and <mode2>.", nameof(modeTokens));
        }

        _graph = graph;
        _options = options;
        _window = window;
        _separator = separator;
        _modeTokens = graph.HasModeHead ? modeTokens : null;
        _recipe = Recipe(options, graph);
        _optimizer = new GgmlOptimizer(backend, new GgmlOptimizerOptions
        {
            // With a mode head the graph builds its own loss (LM cross-entropy + weight × head cross-entropy).
            LossType = graph.HasModeHead ? GgmlLossType.Sum : GgmlLossType.CrossEntropy,
            GraphSize = Math.Max(8192, (4 * (graph.ForwardNodeEstimate + 8)) + 64),
            LearningRate = options.LearningRate,
            WeightDecay = 0f,
            LearningRateSchedule = LearningRateAt,
        });
    }

    public long CompletedSteps { get; private set; }

    private string CheckpointPath => Path.Combine(_options.WorkDirectory, CheckpointName);

    public Outcome Train(int[] tokens, IProgress<string>? log, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var resumedAt = TryResume(log);
        var o = _options;
        var sampler = new WindowSampler(tokens, _window, o.Seed, _separator);
        var perBatch = _window * o.BatchSize;
        var inputs = new int[perBatch];
        var targets = new int[perBatch];
        var clock = Stopwatch.StartNew();
        double first = double.NaN, last = double.NaN;
        var modeLosses = new List<double>();
        long trained = 0;
        var start = CompletedSteps;
        while (CompletedSteps < o.Steps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                SaveCheckpoint();
                cancellationToken.ThrowIfCancellationRequested();
            }

            for (var b = 0; b < o.BatchSize; b++)
            {
                sampler.Window(_windowsDrawn++, inputs.AsSpan(b * _window, _window), targets.AsSpan(b * _window, _window));
            }

            var loss = Step(inputs, targets, _window, o.BatchSize).Loss;
            if (_graph.HasModeHead)
            {
                modeLosses.Add(_lastModeLoss);
            }

            CompletedSteps++;
            trained += perBatch;
            first = double.IsNaN(first) ? loss : first;
            last = loss;
            var done = CompletedSteps - start;
            var perStep = clock.Elapsed / done;
            if (done == 1 && o.Steps - CompletedSteps > 0)
            {
                log?.Report(string.Create(CultureInfo.InvariantCulture,
                    $"time: about {perStep * (o.Steps - start):hh\\:mm\\:ss} for {o.Steps - start} updates ({perStep.TotalSeconds:F2} s for the first)"));
            }

            if (CompletedSteps == o.Steps || (o.CheckpointInterval > 0 && CompletedSteps % o.CheckpointInterval == 0))
            {
                SaveCheckpoint();
            }

            progress?.Report(new TrainingProgress(CompletedSteps, o.Steps, loss, null, LearningRateAt(CompletedSteps - 1), trained / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
                clock.Elapsed, perStep * (o.Steps - CompletedSteps)));
        }

        return new Outcome(first, last, trained / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), clock.Elapsed, resumedAt) { ModeHeadLosses = modeLosses };
    }

    public void Dispose() => _optimizer.Dispose();

    private float LearningRateAt(long update)
    {
        var peak = _options.LearningRate;
        var floor = peak / 10f;
        var warmup = Math.Max(1, _options.Steps / 10);
        if (update < warmup)
        {
            return peak * (update + 1) / warmup;
        }

        var progress = Math.Min(1.0, (update - warmup) / (double)Math.Max(1, _options.Steps - warmup));
        return (float)(floor + (0.5 * (peak - floor) * (1 + Math.Cos(Math.PI * progress))));
    }

    private GgmlStepResult Step(int[] inputs, int[] targets, int window, int batch)
    {
        TuneGraph.Built built = default;
        ModeLoss? mode = null;
        var modeLabels = _modeTokens is { } ids ? ModeLabels.Of(inputs, window, ids.Plain, ids.Agent, _separator, ids.TurnStart) : null;
        GgmlForward Build(GgmlContext ctx)
        {
            built = _graph.Build(ctx, window, batch);
            if (modeLabels is null)
            {
                return new GgmlForward(built.Tokens, built.Logits);
            }

            mode = ModeLoss.Build(ctx, built.Logits, built.ModeLogits!.Value, modeLabels, _options.ModeHeadWeight, gradientAccumulation: 1);
            return new GgmlForward(built.Tokens, mode.Total);
        }

        void SetInputs(GgmlOptimizerBatch b)
        {
            _graph.SetInputs(built, inputs, window);
            var vocab = _graph.Plan.VocabSize;
            var needed = (long)vocab * targets.Length;
            if (_labels.LongLength != needed)
            {
                _labels = new float[needed];
            }
            else
            {
                Array.Clear(_labels);
            }

            for (var i = 0; i < targets.Length; i++)
            {
                _labels[((long)i * vocab) + targets[i]] = 1f;
            }

            (mode?.LmLabels ?? b.Labels).SetData(_labels);
            mode?.SetInputs(modeLabels!);
        }

        if (modeLabels is null)
        {
            return _optimizer.Train(Build, SetInputs);
        }

        double lmLoss = double.NaN, modeLoss = double.NaN;
        void Read() => (lmLoss, modeLoss) = mode!.Read();
        var result = _optimizer.Train(Build, SetInputs, Read);
        _lastModeLoss = modeLoss;
        return result with { Loss = lmLoss };
    }

    private void SaveCheckpoint()
    {
        Directory.CreateDirectory(_options.WorkDirectory);
        using var writer = new GgufWriter();
        writer.Set("agent.tune.recipe", _recipe)
            .Set("agent.tune.steps", CompletedSteps.ToString(CultureInfo.InvariantCulture))
            .Set("agent.tune.windows", _windowsDrawn.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, tensor) in _graph.Trainable)
        {
            writer.AddTensor(name, tensor.ToArray<float>(), tensor.Shape);
            if (_optimizer.TryGetMoments(tensor, out var m, out var v))
            {
                writer.AddTensor("m." + name, m.ToArray<float>(), tensor.Shape);
                writer.AddTensor("v." + name, v.ToArray<float>(), tensor.Shape);
            }
        }

        var temporary = CheckpointPath + ".tmp";
        writer.WriteToFile(temporary);
        File.Move(temporary, CheckpointPath, overwrite: true);
    }

    /// <summary>
    /// Continues a run of the same recipe: trained tensors, update count and window position are restored, and the
    /// optimizer's private update counter (AdamW's bias correction) is brought along by replaying one cheap 2-token update
    /// per completed one before the saved tensors and moments are written back (as <see cref="LlamaTrainer"/> does).
    /// </summary>
    private long TryResume(IProgress<string>? log)
    {
        if (!File.Exists(CheckpointPath))
        {
            return 0;
        }

        using var file = GgufFile.Open(CheckpointPath);
        if (!file.Metadata.TryGetValue("agent.tune.recipe", out var recipe) || (string)recipe != _recipe)
        {
            log?.Report($"checkpoint: {CheckpointPath} is of another recipe; starting fresh");
            return 0;
        }

        var steps = long.Parse((string)file.Metadata["agent.tune.steps"], CultureInfo.InvariantCulture);
        if (steps == 0 || steps > _options.Steps)
        {
            return 0;
        }

        int[] dummy = [0, 0];
        for (long i = 0; i < steps; i++)
        {
            Step(dummy, dummy, 2, 1);
        }

        foreach (var (name, tensor) in _graph.Trainable)
        {
            tensor.SetData(file.ReadTensorF32(name));
            if (_optimizer.TryGetMoments(tensor, out var m, out var v) && file.Tensors.Any(t => t.Name == "m." + name))
            {
                m.SetData(file.ReadTensorF32("m." + name));
                v.SetData(file.ReadTensorF32("v." + name));
            }
        }

        CompletedSteps = steps;
        _windowsDrawn = long.Parse((string)file.Metadata["agent.tune.windows"], CultureInfo.InvariantCulture);
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"checkpoint: resuming at update {steps} from {CheckpointPath}"));
        return steps;
    }

    private static string Recipe(TuneOptions o, TuneGraph graph) => string.Create(CultureInfo.InvariantCulture,
        $"base={Path.GetFileName(o.BasePath)}:{new FileInfo(o.BasePath).Length} mode={o.Mode} seed={o.Seed} batch={o.BatchSize} window={o.WindowLength} lr={o.LearningRate} steps={o.Steps} documents={o.Documents} corpus={o.CorpusDirectory ?? "synthetic"} format={o.Format.GetType().Name}{FormatDetail(o.Format)} vocab={graph.Plan.VocabSize}{(o.TrainsModeHead ? $" mode-head={o.ModeHeadWeight}" : string.Empty)}{(o.TrainsModeHead && o.ModeHeadHidden > 0 ? $" mode-head-hidden={o.ModeHeadHidden}" : string.Empty)}");

    /// <summary>A chat format's family and a hash of its system prompt (its tools): a checkpoint resumes only in the same text.</summary>
    private static string FormatDetail(ITranscriptFormat format) => format is IChatTranscriptFormat chat
        ? $":{chat.Name}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(chat.SystemPrompt)))[..16]}"
        : string.Empty;

    internal readonly record struct Outcome(double FirstLoss, double FinalLoss, double TokensPerSecond, TimeSpan TrainingTime, long ResumedAt)
    {
        /// <summary>The mode head's cross-entropy at each update of this run (empty without a head).</summary>
        public IReadOnlyList<double> ModeHeadLosses { get; init; } = [];
    }
}
