using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using Agent.Monitoring.Internal;

namespace Agent.Monitoring;

/// <summary>
/// Trains the classifier's heads on labelled actions and measures them: for each tag, a head with one hidden layer of
/// <see cref="ClassifierTrainingOptions.Hidden"/> ReLU units (0: a logistic regression) on
/// <c>[e(context); e(action); e(context)·e(action); |e(context) − e(action)|; agreement; earlier calls]</c> (call heads first: an answer head reads
/// their probability of the run's earlier calls) fitted on the train split for each L2
/// strength of <see cref="ClassifierTrainingOptions.L2Grid"/>; the strength with the best validation AUROC is kept, and
/// its threshold is the lowest that flags at most <see cref="ClassifierTrainingOptions.MaxFalsePositiveRate"/> of the
/// validation negatives. The test split is only reported.
/// </summary>
public sealed class ClassifierTrainer
{
    private const string EmbeddingsMagic = "AGTEMB01";

    private readonly ITextEncoder _encoder;
    private readonly ConcurrentDictionary<string, TextEmbedding> _cache = new(StringComparer.Ordinal);
    private long _encodeTicks;
    private int _encoded;

    /// <summary>Creates a trainer over an encoder; embeddings are cached by text for its lifetime.</summary>
    public ClassifierTrainer(ITextEncoder encoder) => _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));

    /// <summary>Fits the heads, writes them to <paramref name="weightsPath"/> and reports validation and test figures.</summary>
    /// <param name="actions">Labelled actions of all splits.</param>
    /// <param name="weightsPath">Where to write the weights.</param>
    /// <param name="options">Seed, grid, false-positive budget; null for the defaults.</param>
    /// <param name="progress">Receives a line per phase.</param>
    /// <param name="cancellationToken">Cancels between texts.</param>
    /// <returns>The figures on train, validation and test.</returns>
    /// <exception cref="ArgumentException">A tag has no positives or no negatives in train or validation.</exception>
    public ClassifierReport Train(IReadOnlyList<LabelledAction> actions, string weightsPath, ClassifierTrainingOptions? options = null, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(weightsPath);
        options ??= new ClassifierTrainingOptions();
        var watch = Stopwatch.StartNew();
        var heads = new List<LogisticHead>();
        var tags = actions.Select(a => a.Tag).Distinct().Select(tag =>
            (Tag: tag, Kind: options.TagKinds.TryGetValue(tag, out var k) ? k : throw new ArgumentException($"No kind of action is set for the tag '{tag}' (ClassifierTrainingOptions.TagKinds).", nameof(actions))));

        // Call heads first: an answer head of the earlier-call layout reads their probability of the run's earlier calls.
        // Without it the heads are fitted on a prefix of that layout: with the attribution features or, by default, the
        // pair layout as shipped.
        var layout = options.EarlierCalls ? PairFeatures.Layout : options.Attribution ? PairFeatures.AttributionLayout : PairFeatures.PairLayout;
        var layoutLength = PairFeatures.Length(_encoder.Dimension, layout)!.Value;
        foreach (var (tag, kind) in tags.OrderBy(t => t.Kind == ActionKind.Call ? 0 : 1).ThenBy(t => t.Tag, StringComparer.Ordinal).ToList())
        {
            var callHeads = options.EarlierCalls ? heads.Where(h => h.Kind == ActionKind.Call).ToList() : [];
            var mine = actions.Where(a => a.Tag == tag && a.Input.Kind == kind).ToList();
            var train = Featurise(mine.Where(a => a.Split == ClassifierSplit.Train).ToList(), callHeads, layoutLength, progress, $"{tag} train", cancellationToken);
            var validation = Featurise(mine.Where(a => a.Split == ClassifierSplit.Validation).ToList(), callHeads, layoutLength, progress, $"{tag} validation", cancellationToken);
            Require(tag, "train", train.Labels);
            Require(tag, "validation", validation.Labels);
            var (best, bestAuroc) = FitBest(0);
            if (options.Hidden > 0)
            {
                // The hidden layer is kept only where validation says it is worth its weight (a fixed margin, decided
                // before it was measured): the simpler head wins a tie.
                var (mlp, mlpAuroc) = FitBest(options.Hidden);
                var kept = mlpAuroc >= bestAuroc + options.MinHiddenGain;
                progress?.Report(FormattableString.Invariant(
                    $"{tag}: {(kept ? $"{options.Hidden} hidden units" : "logistic regression")} kept (validation AUROC {mlpAuroc:F4} with the hidden layer, {bestAuroc:F4} without; the hidden layer needs +{options.MinHiddenGain})"));
                if (kept)
                {
                    (best, bestAuroc) = (mlp, mlpAuroc);
                }
            }

            (LogisticHead Head, double Auroc) FitBest(int hidden)
            {
                (LogisticHead Head, double Auroc) top = (null!, double.NegativeInfinity);
                foreach (var l2 in options.L2Grid)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var head = hidden > 0
                        ? MlpTrainer.Fit(tag, kind, train.Features, train.Labels, hidden, l2, options.Seed, options.Epochs)
                        : LogisticTrainer.Fit(tag, kind, train.Features, train.Labels, l2, options.Seed, options.Epochs);
                    var auroc = Split(validation.Features.Select(x => head.Probability(x)).ToList(), validation.Labels);
                    progress?.Report(FormattableString.Invariant($"{tag}: {(hidden > 0 ? $"{hidden} hidden units, " : "")}l2 {l2} validation AUROC {auroc:F4}"));
                    if (auroc > top.Auroc)
                    {
                        top = (head, auroc);
                    }
                }

                return top;
            }

            var negatives = validation.Features.Zip(validation.Labels).Where(p => !p.Second).Select(p => best.Probability(p.First)).ToList();
            heads.Add(best.WithThreshold(Roc.ThresholdAt(negatives, options.MaxFalsePositiveRate)));
        }

        // Heads in tag order in the file, whatever order they were fitted in.
        heads = [.. heads.OrderBy(h => h.Tag, StringComparer.Ordinal)];
        var header = new WeightsHeader(_encoder.Id, _encoder.Dimension, _encoder.MaxTokens, layout, options.Seed,
            [.. heads.Select(h => new WeightsHeadHeader(h.Tag, h.Kind, h.Threshold, h.L2, h.Hidden))]);
        WeightsFile.Write(weightsPath, header, heads);
        using var classifier = new EncoderTagClassifier(weightsPath, _encoder, ownsEncoder: false, heads);
        return Evaluate(classifier, actions, watch, heads.ToDictionary(h => h.Tag, h => h.L2), cancellationToken);
    }

    /// <summary>
    /// Measures a loaded classifier on labelled actions, per tag and split, scoring each through
    /// <see cref="ITagClassifier.Score"/> (the classifier's own cache serves twins that share a context).
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="actions">Labelled actions.</param>
    /// <param name="cancellationToken">Cancels between actions.</param>
    /// <returns>The figures; <see cref="ClassifierReport.EncodeMilliseconds"/> is the mean milliseconds per scored action.</returns>
    public static ClassifierReport Evaluate(ITagClassifier classifier, IReadOnlyList<LabelledAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(actions);
        var watch = Stopwatch.StartNew();
        var scored = 0;
        var figures = Measure(classifier.Heads, actions, (head, input) =>
        {
            scored++;
            return classifier.Score(input).Probabilities[head.Tag];
        }, null, cancellationToken);
        return new ClassifierReport(string.Join(", ", classifier.Heads.Select(h => $"{h.Tag}:{h.Kind}")), figures,
            scored == 0 ? 0 : watch.Elapsed.TotalMilliseconds / scored, watch.Elapsed.TotalSeconds);
    }

    private ClassifierReport Evaluate(EncoderTagClassifier classifier, IReadOnlyList<LabelledAction> actions, Stopwatch watch, Dictionary<string, double> l2s, CancellationToken cancellationToken)
    {
        // Through this trainer's cache, so the texts embedded for fitting are not embedded again.
        var figures = Measure(classifier.Heads, actions,
            (head, input) => classifier.Probability(head.Tag, classifier.Features(input, Embed(input.Context), Embed(input.Action), Embed)), l2s, cancellationToken);
        var perText = _encoded == 0 ? 0 : TimeSpan.FromTicks(_encodeTicks).TotalMilliseconds / _encoded;
        return new ClassifierReport(_encoder.Id, figures, perText, watch.Elapsed.TotalSeconds);
    }

    private static ImmutableArray<HeadFigures> Measure(IEnumerable<TagHeadInfo> heads, IReadOnlyList<LabelledAction> actions, Func<TagHeadInfo, ClassifierInput, double> probability,
        Dictionary<string, double>? l2s, CancellationToken cancellationToken)
    {
        var figures = ImmutableArray.CreateBuilder<HeadFigures>();
        foreach (var head in heads)
        {
            foreach (var split in Enum.GetValues<ClassifierSplit>())
            {
                var mine = actions.Where(a => a.Tag == head.Tag && a.Split == split && a.Input.Kind == head.Kind).ToList();
                if (mine.Count == 0)
                {
                    continue;
                }

                var scored = mine.Select(a =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return (Action: a, Score: probability(head, a.Input));
                }).ToList();
                var positives = scored.Where(s => s.Action.Positive).Select(s => s.Score).ToList();
                var negatives = scored.Where(s => !s.Action.Positive).Select(s => s.Score).ToList();
                var oracle = Roc.ThresholdAt(negatives, 0.02);
                var groups = scored.GroupBy(s => s.Action.Group).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
                {
                    var p = g.Where(s => s.Action.Positive).Select(s => s.Score).ToList();
                    var n = g.Where(s => !s.Action.Positive).Select(s => s.Score).ToList();
                    return new GroupFigures(g.Key, p.Count, n.Count, Roc.Auroc(p, n), Roc.Rate(p, head.Threshold));
                });
                figures.Add(new HeadFigures(head.Tag, split.ToString().ToLowerInvariant(), positives.Count, negatives.Count, Roc.Auroc(positives, negatives), head.Threshold,
                    Roc.Rate(positives, head.Threshold), Roc.Rate(negatives, head.Threshold), Roc.Rate(positives, oracle),
                    l2s is not null && l2s.TryGetValue(head.Tag, out var l2) ? l2 : null, [.. groups]));
            }
        }

        return figures.ToImmutable();
    }

    private (List<float[]> Features, List<bool> Labels) Featurise(List<LabelledAction> actions, List<LogisticHead> callHeads, int length, IProgress<string>? progress, string what,
        CancellationToken cancellationToken)
    {
        var features = new List<float[]>(actions.Count);
        var labels = new List<bool>(actions.Count);
        var watch = Stopwatch.StartNew();
        foreach (var action in actions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var all = PairFeatures.Build(Embed(action.Input.Context).Vector, Embed(action.Input.Action).Vector, action.Input,
                callHeads.Count == 0 ? 0 : EarlierCalls.Risk(action.Input, callHeads, Embed));
            features.Add(all.Length == length ? all : all[..length]);
            labels.Add(action.Positive);
        }

        progress?.Report(FormattableString.Invariant($"{what}: {actions.Count} actions embedded in {watch.Elapsed.TotalSeconds:F1} s"));
        return (features, labels);
    }

    /// <summary>
    /// Adds the embeddings a previous trainer saved with <see cref="SaveEmbeddings"/> to this trainer's cache, so a
    /// retrain with other features or settings does not embed the same 15,000 texts again. A missing file adds nothing.
    /// </summary>
    /// <param name="path">The cache file.</param>
    /// <returns>How many embeddings were added.</returns>
    /// <exception cref="InvalidDataException">The file is not an embedding cache, or was made by another encoder.</exception>
    public int LoadEmbeddings(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            return 0;
        }

        using var reader = new BinaryReader(File.OpenRead(path), System.Text.Encoding.UTF8);
        try
        {
            if (reader.ReadString() != EmbeddingsMagic || reader.ReadString() is var id && id != _encoder.Id || reader.ReadInt32() != _encoder.Dimension)
            {
                throw new InvalidDataException($"'{path}' is not an embedding cache of {_encoder.Id}; delete it (it is only a cache) or give another path.");
            }

            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                var text = reader.ReadString();
                var tokens = reader.ReadInt32();
                var textTokens = reader.ReadInt32();
                var vector = new float[_encoder.Dimension];
                for (var j = 0; j < vector.Length; j++)
                {
                    vector[j] = reader.ReadSingle();
                }

                _cache.TryAdd(text, new TextEmbedding(vector, tokens, textTokens));
            }

            return count;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"The embedding cache '{path}' is truncated; delete it (it is only a cache).", e);
        }
    }

    /// <summary>Writes every embedding this trainer has made or loaded, for <see cref="LoadEmbeddings"/>.</summary>
    /// <param name="path">The cache file (replaced).</param>
    public void SaveEmbeddings(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var temporary = path + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temporary), System.Text.Encoding.UTF8))
        {
            var entries = _cache.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
            writer.Write(EmbeddingsMagic);
            writer.Write(_encoder.Id);
            writer.Write(_encoder.Dimension);
            writer.Write(entries.Count);
            foreach (var (text, embedding) in entries)
            {
                writer.Write(text);
                writer.Write(embedding.Tokens);
                writer.Write(embedding.TextTokens);
                foreach (var v in embedding.Vector)
                {
                    writer.Write(v);
                }
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    private TextEmbedding Embed(string text)
    {
        if (_cache.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var start = Stopwatch.GetTimestamp();
        var embedding = _encoder.Encode(text);
        Interlocked.Add(ref _encodeTicks, Stopwatch.GetElapsedTime(start).Ticks);
        Interlocked.Increment(ref _encoded);
        return _cache.GetOrAdd(text, embedding);
    }

    private static double Split(List<double> scores, List<bool> labels) =>
        Roc.Auroc([.. scores.Where((_, i) => labels[i])], [.. scores.Where((_, i) => !labels[i])]) ?? double.NaN;

    private static void Require(string tag, string split, List<bool> labels)
    {
        if (!labels.Contains(true) || !labels.Contains(false))
        {
            throw new ArgumentException($"The tag '{tag}' needs positive and negative actions in the {split} split (got {labels.Count(l => l)} positive, {labels.Count(l => !l)} negative).");
        }
    }
}
