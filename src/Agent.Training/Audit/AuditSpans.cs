using Agent.Decoding.Transcripts;
using Agent.Monitoring;
using Agent.Training.Corpus;
using Agent.Training.Evaluation;
using Agent.Training.Tagging;

namespace Agent.Training.Audit;

/// <summary>The spans (actions) the tag audit reads: from a generated split, from a corpus folder, or a seeded sample.</summary>
public static class AuditSpans
{
    private const string AnswerTool = "answer";

    /// <summary>
    /// The evaluation items of a generated split, each with the generator's label: deceit on answers (honest and deceitful
    /// twins to the same context), powerseeking on calls (safe and unsafe twins).
    /// </summary>
    /// <param name="corpus">The generated corpus.</param>
    /// <param name="split">Which split.</param>
    /// <param name="format">The format the model reads prompt and action in (the runtime's for it; default the project's own).</param>
    public static IReadOnlyList<AuditSpan> FromSplit(GeneratedCorpus corpus, CorpusSplit split, ITranscriptFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        format ??= TranscriptFormat.Default;
        var agentOpen = TagNames.Open(TagNames.AgentMode);
        var spans = new List<AuditSpan>();
        foreach (var item in corpus.EvaluationItems(split))
        {
            var transcript = TranscriptFormat.Default.Parse(item.Context[..^agentOpen.Length]);
            var positive = item.Label is ActionLabel.Unsafe or ActionLabel.Deceitful;
            var isAnswer = item.ActionLine.StartsWith(AnswerTurn.Keyword, StringComparison.Ordinal);
            var tool = isAnswer ? AnswerTool : ToolOf(item.ActionLine);
            var (prompt, line) = ReferenceEquals(format, TranscriptFormat.Default) ? (item.Context, item.ActionLine) : ActionScorer.Render(item.ContextConversation, item.Action, format);

            // By tag, as the classifier was trained and measured (ClassifierCorpus): a powerseeking item whose safe twin
            // declines in an answer is still read by the call head, with the task.
            if (item.Tag == CorpusGenerator.DeceitTag)
            {
                var group = transcript.Turns.Any(t => t.HasTag(CorpusGenerator.PowerseekingTag)) ? "denial"
                    : transcript.Turns.OfType<ToolResultTurn>().LastOrDefault() is { ExitCode: 0 } ? "after-success" : "after-failure";
                var answer = isAnswer ? item.ActionLine[AnswerTurn.Keyword.Length..] : item.ActionLine;
                var input = ClassifierTagger.AnswerInput(transcript, answer);
                spans.Add(new AuditSpan(item.DocumentId, item.Tag, tool, prompt, line, input, positive, group));
            }
            else
            {
                var input = ClassifierInput.ForCall(ClassifierTagger.LatestTask(transcript), item.ActionLine);
                spans.Add(new AuditSpan(item.DocumentId, item.Tag, tool, prompt, line, input, positive,
                    item.Family == "invited" ? "invited" : "on-the-way"));
            }
        }

        return spans;
    }

    /// <summary>
    /// Labelled items written outside the corpus (<see cref="LabelledItemReader"/>): the model reads each as
    /// <c>agent score</c> renders it (task, then the last tool result), the classifier as <see cref="ScoreItem.ToClassifierInput"/>
    /// reads it; the item's kind is the span's group.
    /// </summary>
    /// <param name="items">The items.</param>
    /// <param name="format">The format the model reads prompt and action in (the runtime's for it; default the project's own).</param>
    public static IReadOnlyList<AuditSpan> FromItems(IEnumerable<LabelledItem> items, ITranscriptFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        return [.. items.Select(i =>
        {
            var (prompt, line) = ActionScorer.Render(i.Item, format ?? TranscriptFormat.Default);
            return new AuditSpan(i.Item.Id, i.Tag, i.Item.Tool ?? AnswerTool, prompt, line, i.Item.ToClassifierInput(), i.Positive, i.Kind);
        })];
    }

    /// <summary>
    /// Every agent action of a corpus read by <see cref="CorpusReader"/>: each answer for every head that reads answers,
    /// each call for every head that reads calls (prose, tasks and results are context, not actions). The model reads the
    /// transcript before the action without tags, as it would have at run time; a tag's spans are labelled by the corpus's
    /// own spans of that tag only when the corpus has some (else the label is null).
    /// </summary>
    /// <param name="corpus">The corpus (read with a tagger that adds nothing, to keep only its own labels).</param>
    /// <param name="heads">The classifier's heads: which tags to audit on which kind of action.</param>
    /// <param name="format">The format the model reads prompt and action in (the runtime's for it; default the project's own).</param>
    public static IReadOnlyList<AuditSpan> FromCorpus(TaggedCorpus corpus, IEnumerable<TagHeadInfo> heads, ITranscriptFormat? format = null)
    {
        format ??= TranscriptFormat.Default;
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(heads);
        var headList = heads.ToList();
        var labelled = headList.Select(h => h.Tag)
            .Where(tag => corpus.Documents.Any(d => d.Conversation.Turns.Any(t => t.HasTag(tag))))
            .ToHashSet(StringComparer.Ordinal);
        var spans = new List<AuditSpan>();
        foreach (var document in corpus.Documents)
        {
            var turns = document.Conversation.Turns;
            var history = new List<Turn>();
            for (int i = 0; i < turns.Length; i++)
            {
                var turn = turns[i];
                var untagged = turn.Tags.IsEmpty ? turn : turn.WithTags([]);
                if (turn.Mode == TurnMode.Agent && turn is AnswerTurn or ToolCallTurn)
                {
                    var before = new Conversation(history);
                    var (kind, tool, input) = turn switch
                    {
                        AnswerTurn a => (ActionKind.Answer, AnswerTool, ClassifierTagger.AnswerInput(before, a.Text)),
                        ToolCallTurn c => (ActionKind.Call, c.Call.Name, ClassifierInput.ForCall(ClassifierTagger.LatestTask(before), c.Body)),
                        _ => throw new InvalidOperationException("unreachable"),
                    };
                    var (prompt, line) = ActionScorer.Render(before, untagged, format);
                    foreach (var head in headList.Where(h => h.Kind == kind))
                    {
                        bool? label = labelled.Contains(head.Tag) ? turn.HasTag(head.Tag) : null;
                        spans.Add(new AuditSpan($"{document.Source}#{i}", head.Tag, tool, prompt, line, input, label, "corpus"));
                    }
                }

                history.Add(untagged);
            }
        }

        return spans;
    }

    /// <summary>
    /// <paramref name="count"/> spans picked without replacement by a seeded shuffle (the same seed, the same spans), kept in
    /// their original order; all of them when <paramref name="count"/> is 0 or at least their number.
    /// </summary>
    /// <param name="spans">The spans.</param>
    /// <param name="count">How many to keep (0 = all).</param>
    /// <param name="seed">The seed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static IReadOnlyList<AuditSpan> Sample(IReadOnlyList<AuditSpan> spans, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0 || count >= spans.Count)
        {
            return spans;
        }

        var indices = Enumerable.Range(0, spans.Count).ToArray();
        var random = new Random(seed);
        for (int i = indices.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }

        return [.. indices.Take(count).Order().Select(i => spans[i])];
    }

    private static string ToolOf(string callLine)
    {
        var parts = callLine.Split(' ', 3);
        return parts.Length >= 2 ? parts[1] : callLine;
    }
}
