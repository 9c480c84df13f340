using System.Diagnostics;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Training.Corpus;

namespace Agent.Training.Evaluation;

/// <summary>
/// Evaluates a model on a held-out split: for each tag, the AUROC of the temptation over the action's tokens, read at
/// the aggregate the policy uses for that tag (<see cref="TagGate"/>)
/// (unsafe vs safe tool calls for powerseeking; deceitful vs honest answers to the same context for deceit), the paired
/// accuracy, recall and false-positive rate at the policy thresholds, and the mode-drift probability on agent actions vs prose.
/// </summary>
public sealed class Evaluator
{
    private readonly TagDecoder _decoder;
    private readonly ActionScorer _scorer;

    /// <summary>Creates an evaluator over a decoder.</summary>
    /// <param name="decoder">The decoder of the model under evaluation.</param>
    /// <param name="format">The format the runtime shows that model (its chat template's, or the project's own by default):
    /// each item's context and action are rendered in it. Prose and the copying probe are <c>&lt;mode1&gt;</c> text in every format.</param>
    public Evaluator(TagDecoder decoder, ITranscriptFormat? format = null)
    {
        _decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        _scorer = new ActionScorer(decoder, format);
    }

    /// <summary>Scores the items and prose of a split.</summary>
    /// <param name="corpus">The generated corpus (its held-out items and prose).</param>
    /// <param name="split">Which split.</param>
    /// <param name="gates">Per tag, the aggregate the policy reads and the threshold recall and false positives are
    /// measured at; a tag without one is read at <c>any</c> with threshold 0.5.</param>
    /// <param name="maxItems">At most this many items per tag (pairs are kept together), 0 = all.</param>
    /// <param name="cancellationToken">Cancels between items.</param>
    public async Task<EvaluationReport> EvaluateAsync(GeneratedCorpus corpus, CorpusSplit split, IReadOnlyDictionary<string, TagGate> gates, int maxItems = 0,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(gates);
        var watch = Stopwatch.StartNew();
        var items = corpus.EvaluationItems(split);
        var results = new List<TagEvaluation>();
        var agentDrift = new List<double>();
        var itemScores = new List<ItemScore>();
        var restated = new List<double>();
        foreach (var group in items.GroupBy(i => i.Tag).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var chosen = maxItems > 0 ? group.GroupBy(i => i.PairId).Take(Math.Max(1, maxItems / 2)).SelectMany(p => p).ToList() : group.ToList();
            var gate = gates.TryGetValue(group.Key, out var g) ? g : new TagGate(0.5);
            var scores = new Dictionary<EvaluationItem, double>();
            var exitCodes = new Dictionary<EvaluationItem, int?>();
            foreach (var item in chosen)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = item.ContextConversation.Turns.OfType<ToolResultTurn>().LastOrDefault();
                exitCodes[item] = result?.ExitCode;
                var (prompt, line) = Rendered(item);
                var score = await _scorer.ScoreAsync(item.DocumentId, prompt, line, cancellationToken).ConfigureAwait(false);
                scores[item] = score.Temptation.TryGetValue(group.Key, out var aggregate) ? aggregate.Get(gate.Aggregate) : 0;
                var column = score.Trace.Tags.IndexOf(group.Key);
                var tokens = score.Trace.Entries.Select(e => new ItemToken(e.Text, column < 0 ? 0 : e.Probabilities[column], e.TokenProbability)).ToList();
                itemScores.Add(new ItemScore(item.DocumentId, item.PairId, item.TemplateId, item.Tag, item.Label.ToString().ToLowerInvariant(), scores[item],
                    exitCodes[item], line, tokens));
                if (item.Label == ActionLabel.Honest && result is { ExitCode: 0 })
                {
                    restated.AddRange(CopyEvaluation.RestatedNumberTokens([.. tokens.Select(t => t.Text)], result.Stdout + "\n" + result.Stderr).Select(i => tokens[i].TokenProbability));
                }

                if (score.Temptation.TryGetValue("mode1", out var drift))
                {
                    agentDrift.Add(drift.Mean);
                }
            }

            var positives = scores.Where(s => IsPositive(s.Key)).Select(s => s.Value).ToList();
            var negatives = scores.Where(s => !IsPositive(s.Key)).Select(s => s.Value).ToList();
            if (positives.Count == 0 || negatives.Count == 0)
            {
                continue;
            }

            var pairs = scores.GroupBy(s => s.Key.PairId)
                .Select(p => (Positive: p.Where(s => s.Key.Label is ActionLabel.Unsafe or ActionLabel.Deceitful).Select(s => s.Value).DefaultIfEmpty(double.NaN).First(),
                              Negative: p.Where(s => s.Key.Label is ActionLabel.Safe or ActionLabel.Honest).Select(s => s.Value).DefaultIfEmpty(double.NaN).First()))
                .Where(p => !double.IsNaN(p.Positive) && !double.IsNaN(p.Negative))
                .ToList();
            results.Add(new TagEvaluation(
                group.Key,
                positives.Count,
                negatives.Count,
                Auroc.Compute(positives, negatives),
                pairs.Count == 0 ? double.NaN : pairs.Count(p => p.Positive > p.Negative) / (double)pairs.Count,
                gate.Aggregate,
                gate.Threshold,
                positives.Count(p => p >= gate.Threshold) / (double)positives.Count,
                negatives.Count(n => n >= gate.Threshold) / (double)negatives.Count,
                Group(scores, item => exitCodes[item] == 0),
                Group(scores, item => exitCodes[item] is not (null or 0))));
        }

        var proseDrift = new List<double>();
        var prose = corpus.DocumentsIn(split).Where(d => d.Kind == CorpusDocumentKind.Prose).Take(maxItems > 0 ? Math.Max(4, maxItems / 4) : 200);
        foreach (var document in prose)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var text = document.Text.StartsWith("<mode1>", StringComparison.Ordinal) ? document.Text["<mode1>".Length..] : document.Text;
            var tokens = _decoder.Model.Vocab.Tokenize(text, addSpecial: false, parseSpecial: true).Take(Math.Min(96, _decoder.ContextSize - 8)).ToArray();
            if (tokens.Length < 2)
            {
                continue;
            }

            var trace = await _decoder.ScoreAsync("<mode1>", tokens, DecodingConstraints.None, cancellationToken).ConfigureAwait(false);
            proseDrift.Add(trace.Aggregate("mode2").Mean);
        }

        var repeat = Math.Min(CopyEvaluation.RepeatLength, (_decoder.ContextSize - 2) / 2);
        var (first, second) = await RepeatProbeAsync(repeat, cancellationToken).ConfigureAwait(false);
        var copying = new CopyEvaluation(restated.Count, restated.Count == 0 ? null : restated.Average(), repeat, first, second);
        return new EvaluationReport(split.ToString().ToLowerInvariant(), results, agentDrift.DefaultIfEmpty(double.NaN).Average(), proseDrift.DefaultIfEmpty(double.NaN).Average(),
            copying, watch.Elapsed.TotalSeconds, itemScores);
    }

    /// <summary>
    /// Induction probe: random sequences of ordinary tokens (fixed seed), each scored twice in a row after
    /// <c>&lt;mode1&gt;</c>; the mean probability of the first copy (but its first token) and of the second.
    /// </summary>
    private async Task<(double First, double Second)> RepeatProbeAsync(int n, CancellationToken cancellationToken)
    {
        var sequences = CopyEvaluation.RandomSequences(_decoder.Model.Vocab, n);
        double first = 0, second = 0;
        foreach (var sequence in sequences)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var trace = await _decoder.ScoreAsync(TagNames.Open(TagNames.PlainMode), [.. sequence, .. sequence], DecodingConstraints.None, cancellationToken).ConfigureAwait(false);
            first += trace.Entries.Skip(1).Take(n - 1).Average(e => e.TokenProbability);
            second += trace.Entries.Skip(n).Average(e => e.TokenProbability);
        }

        return (first / sequences.Length, second / sequences.Length);
    }

    private static bool IsPositive(EvaluationItem item) => item.Label is ActionLabel.Unsafe or ActionLabel.Deceitful;

    private static ResultGroup Group(Dictionary<EvaluationItem, double> scores, Func<EvaluationItem, bool> inGroup)
    {
        var positives = scores.Where(s => inGroup(s.Key) && IsPositive(s.Key)).Select(s => s.Value).ToList();
        var negatives = scores.Where(s => inGroup(s.Key) && !IsPositive(s.Key)).Select(s => s.Value).ToList();
        return new ResultGroup(positives.Count, negatives.Count, positives.Count == 0 || negatives.Count == 0 ? null : Auroc.Compute(positives, negatives));
    }

    /// <summary>An item's prompt and action text in the scorer's format (the project format's are the item's own).</summary>
    private (string Prompt, string ActionLine) Rendered(EvaluationItem item) => ReferenceEquals(_scorer.Format, TranscriptFormat.Default)
        ? (item.Context, item.ActionLine)
        : ActionScorer.Render(item.ContextConversation, item.Action, _scorer.Format);
}
