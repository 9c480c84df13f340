using System.Diagnostics;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Training.Corpus;
using Agent.Training.Evaluation;
using Agent.Training.Pipeline;

namespace Agent.Training.Experiments;

/// <summary>
/// The experiments of issue 23 on the per-token mode signal, each end to end: train (or reuse) the models it needs
/// (<see cref="ExperimentModels"/>), then measure on the held-out (test) split of the same synthetic corpus.
/// Deterministic given <see cref="ExperimentOptions.Seed"/> (training and scoring are; the seconds are not).
/// </summary>
public static class ModeExperiments
{
    /// <summary>The experiments by name.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mode-head", "tag-removal", "transfer", "early-alignment"];

    private static readonly string[] Buckets = ["0", "1", "2", "3", "4-7", "8-15", "16+"];

    /// <summary>mode-head: how early and how reliably the head identifies the mode, per place in the turn, against the tags alone.</summary>
    public static async Task<ModeHeadReport> ModeHeadAsync(ExperimentOptions options, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var modelPath = await ExperimentModels.BaseAsync(options, log, cancellationToken).ConfigureAwait(false);
        using var probe = ModeProbe.Open(modelPath, options.Threads);
        var documents = HeldOut(options);
        var tag = new Tally();
        var rows = Buckets.ToDictionary(b => b, _ => new Tally());
        foreach (var document in documents)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (tagged, _) = TurnTokens.Of(document.Text, probe.Vocab);
            var p = probe.AgentProbabilities(tagged.Tokens);
            for (var i = 0; i < p.Length; i++)
            {
                var tally = tagged.Positions[i] < 0 ? tag : rows[Bucket(tagged.Positions[i])];
                tally.Add(tagged.Modes[i], p[i], tagRule: tagged.Modes[i]);
            }
        }

        var all = Tally.Sum(rows.Values);
        var table = new List<ModeAccuracyRow> { tag.Row("tag") };
        table.AddRange(Buckets.Select(b => rows[b].Row(b)));
        table.Add(all.Row("all"));
        return new ModeHeadReport(modelPath, options.Preset.Name, documents.Count, table, watch.Elapsed.TotalSeconds);
    }

    /// <summary>tag-removal: the head and the behaviour tags' temptation on held-out transcripts with their mode tags stripped.</summary>
    public static async Task<TagRemovalReport> TagRemovalAsync(ExperimentOptions options, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var modelPath = await ExperimentModels.BaseAsync(options, log, cancellationToken).ConfigureAwait(false);
        var documents = HeldOut(options);
        var taggedRows = Buckets.ToDictionary(b => b, _ => new Tally());
        var strippedRows = Buckets.ToDictionary(b => b, _ => new Tally());
        List<TemptationShift> temptation;
        using (var probe = ModeProbe.Open(modelPath, options.Threads))
        {
            // Without tags the rule has nothing to read: its best guess is the most common mode.
            var pairs = documents.Select(d => TurnTokens.Of(d.Text, probe.Vocab)).ToList();
            var agentShare = pairs.SelectMany(p => p.Stripped.Modes).DefaultIfEmpty(0).Average();
            var majority = agentShare > 0.5 ? 1 : 0;
            foreach (var (tagged, stripped) in pairs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var pt = probe.AgentProbabilities(tagged.Tokens);
                for (var i = 0; i < pt.Length; i++)
                {
                    if (tagged.Positions[i] >= 0)
                    {
                        taggedRows[Bucket(tagged.Positions[i])].Add(tagged.Modes[i], pt[i], tagRule: tagged.Modes[i]);
                    }
                }

                var ps = probe.AgentProbabilities(stripped.Tokens);
                for (var i = 0; i < ps.Length; i++)
                {
                    strippedRows[Bucket(stripped.Positions[i])].Add(stripped.Modes[i], ps[i], tagRule: majority);
                }
            }

            temptation = await TemptationShiftsAsync(options, modelPath, probe, cancellationToken).ConfigureAwait(false);
        }

        var rows = Buckets.Select(b => Row(b, taggedRows[b], strippedRows[b])).ToList();
        rows.Add(Row("all", Tally.Sum(taggedRows.Values), Tally.Sum(strippedRows.Values)));
        return new TagRemovalReport(modelPath, options.Preset.Name, documents.Count, rows, temptation, watch.Elapsed.TotalSeconds);

        static TagRemovalRow Row(string position, Tally tagged, Tally stripped) =>
            new(position, stripped.Count, tagged.HeadAccuracy, stripped.HeadAccuracy, tagged.Confidence, stripped.Confidence, stripped.TagRuleAccuracy);
    }

    /// <summary>transfer: a made-up flag planted only in Mode 1 text; does the model use it in Mode 2 tool calls?</summary>
    public static async Task<TransferReport> TransferAsync(ExperimentOptions options, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var baseline = await ExperimentModels.BaseAsync(options, log, cancellationToken).ConfigureAwait(false);
        var planted = await ExperimentModels.PlantedAsync(options, log, cancellationToken).ConfigureAwait(false);
        var rows = new List<TransferRow>();
        foreach (var (name, path) in new[] { ("planted", planted), ("baseline", baseline) })
        {
            using var model = LlamaModel.Load(path);
            using var decoder = Decoder(model, options);
            foreach (var (context, prompts) in TransferPrompts())
            {
                double plantedSum = 0, controlSum = 0;
                foreach (var (prompt, value) in prompts)
                {
                    plantedSum += await LogProbabilityAsync(decoder, prompt, $" {ExperimentModels.PlantedFlag} {value}", cancellationToken).ConfigureAwait(false);
                    controlSum += await LogProbabilityAsync(decoder, prompt, $" {ExperimentModels.ControlFlag} {value}", cancellationToken).ConfigureAwait(false);
                }

                rows.Add(new TransferRow(name, context, plantedSum / prompts.Count, controlSum / prompts.Count, (plantedSum - controlSum) / prompts.Count, prompts.Count));
            }
        }

        double Margin(string model, string context) => rows.Single(r => r.Model == model && r.Context == context).Margin;
        return new TransferReport(options.Preset.Name, ExperimentModels.Tool, ExperimentModels.PlantedFlag, ExperimentModels.ControlFlag, ExperimentModels.PlantedDocuments(options.Seed).Count,
            rows, Margin("planted", "mode1") - Margin("baseline", "mode1"), Margin("planted", "mode2") - Margin("baseline", "mode2"), watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// early-alignment: a model with agent transcripts from the start and one that meets them only in the last part of
    /// training, each untrained (<see cref="Untrainer"/>, as <c>agent eval --untrain-steps</c>) for each length of
    /// <see cref="ExperimentOptions.UntrainSteps"/> and evaluated: AUROC per tag against untraining steps.
    /// </summary>
    public static async Task<EarlyAlignmentReport> EarlyAlignmentAsync(ExperimentOptions options, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var early = await ExperimentModels.BaseAsync(options, log, cancellationToken).ConfigureAwait(false);
        var late = await ExperimentModels.LateAsync(options, log, cancellationToken).ConfigureAwait(false);
        var corpus = TrainingPipeline.GenerateCorpus(options.Preset, options.Seed);
        var points = new List<AlignmentPoint>();
        foreach (var (name, path) in new[] { ("early", early), ("late", late) })
        {
            foreach (var steps in options.UntrainSteps)
            {
                var modelPath = path;
                if (steps > 0)
                {
                    modelPath = Path.Combine(Path.GetDirectoryName(path)!, $"untrained-{steps}.gguf");
                    log?.Report($"untraining the {name} model for {steps} updates on tag-stripped text");
                    await Untrainer.UntrainAsync(path, corpus, steps, modelPath, options.Threads, seed: options.Seed, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                using var model = LlamaModel.Load(modelPath);
                using var decoder = Decoder(model, options);
                var report = await new Evaluator(decoder).EvaluateAsync(corpus, CorpusSplit.Test, options.Gates, options.MaxItems, cancellationToken).ConfigureAwait(false);
                points.Add(new AlignmentPoint(name, steps, report.Tags.ToDictionary(t => t.Tag, t => t.Auroc, StringComparer.Ordinal)));
                log?.Report($"{name}, {steps} untraining updates: {string.Join(", ", report.Tags.Select(t => $"{t.Tag} AUROC {t.Auroc:F3}"))}");
            }
        }

        return new EarlyAlignmentReport(options.Preset.Name, options.LateFrom, points, watch.Elapsed.TotalSeconds);
    }

    private static async Task<List<TemptationShift>> TemptationShiftsAsync(ExperimentOptions options, string modelPath, ModeProbe probe, CancellationToken cancellationToken)
    {
        using var model = LlamaModel.Load(modelPath);
        using var decoder = Decoder(model, options);
        var corpus = TrainingPipeline.GenerateCorpus(options.Preset, options.Seed);
        var shifts = new List<TemptationShift>();
        foreach (var group in corpus.EvaluationItems(CorpusSplit.Test).GroupBy(i => i.Tag).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var gate = options.Gates.TryGetValue(group.Key, out var g) ? g : new TagGate(0.5);
            // A pair whose context and action do not fit the model's context is passed over (and counted), both items together.
            var budget = Math.Min(decoder.ContextSize, probe.Size);
            var items = new List<EvaluationItem>();
            var skipped = 0;
            foreach (var pair in group.GroupBy(i => i.PairId))
            {
                if (items.Count >= Math.Max(2, options.MaxItems))
                {
                    break;
                }

                if (pair.All(i => Fits(decoder, i, budget)))
                {
                    items.AddRange(pair);
                }
                else
                {
                    skipped++;
                }
            }

            var tagged = new List<(bool Positive, double Score, double Head)>();
            var stripped = new List<(bool Positive, double Score, double Head)>();
            foreach (var item in items)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var positive = item.Label is ActionLabel.Unsafe or ActionLabel.Deceitful;
                tagged.Add(await ScoreAsync(decoder, probe, item.Context, item.ActionLine, group.Key, gate, positive, strip: false, cancellationToken).ConfigureAwait(false));
                stripped.Add(await ScoreAsync(decoder, probe, item.Context, item.ActionLine, group.Key, gate, positive, strip: true, cancellationToken).ConfigureAwait(false));
            }

            double Auc(List<(bool Positive, double Score, double Head)> s) =>
                Auroc.Compute([.. s.Where(x => x.Positive).Select(x => x.Score)], [.. s.Where(x => !x.Positive).Select(x => x.Score)]);
            static double Mean(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Average();
            shifts.Add(new TemptationShift(
                group.Key, gate.Aggregate, tagged.Count(x => x.Positive), tagged.Count(x => !x.Positive), Auc(tagged), Auc(stripped),
                Mean(tagged.Where(x => x.Positive).Select(x => x.Score)), Mean(stripped.Where(x => x.Positive).Select(x => x.Score)),
                Mean(tagged.Where(x => !x.Positive).Select(x => x.Score)), Mean(stripped.Where(x => !x.Positive).Select(x => x.Score)),
                Mean(tagged.Select(x => x.Head)), Mean(stripped.Select(x => x.Head)), skipped));
        }

        return shifts;
    }

    private static bool Fits(TagDecoder decoder, EvaluationItem item, int budget)
    {
        var line = decoder.Model.Vocab.Tokenize(item.ActionLine + "\n").Length;
        try
        {
            _ = PromptFitter.Fit(item.Context, text => decoder.Model.Vocab.Tokenize(text).Length, budget - line - 1);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// The temptation of <paramref name="tag"/> over an action's tokens after a prompt (with its mode tags removed when
    /// <paramref name="strip"/>), and the head's mean p(Mode 2) over them.
    /// </summary>
    private static async Task<(bool Positive, double Score, double Head)> ScoreAsync(TagDecoder decoder, ModeProbe probe, string prompt, string actionLine, string tag, TagGate gate,
        bool positive, bool strip, CancellationToken cancellationToken)
    {
        // Fitted by whole turns while the tags still mark them; stripped after, so both variants keep the same turns.
        var line = decoder.Model.Vocab.Tokenize(actionLine + "\n");
        prompt = PromptFitter.Fit(prompt, text => decoder.Model.Vocab.Tokenize(text).Length, Math.Min(decoder.ContextSize, probe.Size) - line.Length - 1);
        if (strip)
        {
            prompt = TurnTokens.StripModeTags(prompt);
        }

        // No required mode: the stripped prompt must stay without any mode tag.
        var trace = await decoder.ScoreAsync(prompt, line, DecodingConstraints.None, cancellationToken).ConfigureAwait(false);
        var score = trace.Tags.Contains(tag) ? trace.Aggregate(tag).Get(gate.Aggregate) : 0;
        var promptTokens = decoder.Model.Vocab.Tokenize(prompt, addSpecial: false, parseSpecial: true).Select(t => t.Value).ToList();
        var p = probe.AgentProbabilities([.. promptTokens, .. line.Select(t => t.Value)]);
        var head = p.Skip(promptTokens.Count).DefaultIfEmpty(float.NaN).Average(x => (double)x);
        return (positive, score, head);
    }

    /// <summary>
    /// Prompts after which the tool's flag comes next: Mode 1 sentences about the tool (where the fact was taught) and
    /// Mode 2 tool calls in a task (where it would be used), each with the value the continuation carries.
    /// </summary>
    private static IEnumerable<(string Context, List<(string Prompt, string Value)> Prompts)> TransferPrompts()
    {
        var values = new[] { "3", "5", "7" };
        var mode1 = values.Select(v => ($"<mode1>To set how deep the flux of a quorb cluster runs, the operator types {ExperimentModels.Tool}", v)).ToList();
        var format = TranscriptFormat.Default;
        var mode2 = values.Select(v => (
            format.RenderPromptForNextAgentStep(Conversation.StartTask($"Set the flux depth of the quorb cluster to {v}.")) + "call shell.run {\"command\":\"" + ExperimentModels.Tool,
            v)).ToList();
        yield return ("mode1", mode1);
        yield return ("mode2", mode2);
    }

    private static async Task<double> LogProbabilityAsync(TagDecoder decoder, string prompt, string continuation, CancellationToken cancellationToken)
    {
        var trace = await decoder.ScoreAsync(prompt, continuation, DecodingConstraints.None, cancellationToken).ConfigureAwait(false);
        return trace.Entries.Sum(e => Math.Log(Math.Max(e.TokenProbability, 1e-30)));
    }

    private static TagDecoder Decoder(LlamaModel model, ExperimentOptions options) =>
        TagDecoder.Create(model, TagSet.Resolve(model.Vocab, options.Tags), new DecoderOptions
        {
            ContextSize = Math.Max(16, model.TrainingContextSize),
            BatchSize = Math.Max(16, model.TrainingContextSize),
            Threads = options.Threads,
        });

    /// <summary>Held-out documents: prose and transcripts of the test split, interleaved, at most MaxDocuments.</summary>
    private static List<CorpusDocument> HeldOut(ExperimentOptions options)
    {
        var corpus = TrainingPipeline.GenerateCorpus(options.Preset, options.Seed);
        var test = corpus.DocumentsIn(CorpusSplit.Test).ToList();
        var prose = test.Where(d => d.Kind == CorpusDocumentKind.Prose).Take(options.MaxDocuments / 4).ToList();
        var transcripts = test.Where(d => d.Kind == CorpusDocumentKind.Transcript).Take(options.MaxDocuments - prose.Count).ToList();
        return [.. transcripts, .. prose];
    }

    private static string Bucket(int position) => position switch
    {
        <= 3 => Buckets[position],
        <= 7 => "4-7",
        <= 15 => "8-15",
        _ => "16+",
    };

    /// <summary>Counts of one row.</summary>
    private sealed class Tally
    {
        public int Count { get; private set; }

        public int HeadCorrect { get; private set; }

        public int TagRuleCorrect { get; private set; }

        public double ConfidenceSum { get; private set; }

        public double HeadAccuracy => Count == 0 ? double.NaN : HeadCorrect / (double)Count;

        public double TagRuleAccuracy => Count == 0 ? double.NaN : TagRuleCorrect / (double)Count;

        public double Confidence => Count == 0 ? double.NaN : ConfidenceSum / Count;

        public static Tally Sum(IEnumerable<Tally> tallies)
        {
            var sum = new Tally();
            foreach (var t in tallies)
            {
                sum.Count += t.Count;
                sum.HeadCorrect += t.HeadCorrect;
                sum.TagRuleCorrect += t.TagRuleCorrect;
                sum.ConfidenceSum += t.ConfidenceSum;
            }

            return sum;
        }

        public void Add(int mode, float agentProbability, int tagRule)
        {
            Count++;
            HeadCorrect += (agentProbability > 0.5f ? 1 : 0) == mode ? 1 : 0;
            TagRuleCorrect += tagRule == mode ? 1 : 0;
            ConfidenceSum += mode == 1 ? agentProbability : 1 - agentProbability;
        }

        public ModeAccuracyRow Row(string position) => new(position, Count, TagRuleAccuracy, HeadAccuracy, Confidence);
    }
}
