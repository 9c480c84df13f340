using Agent.Decoding.Transcripts;
using Agent.Monitoring;

namespace Agent.Training.Tagging;

/// <summary>
/// The sentence-encoder classifier (<see cref="ITagClassifier"/>, Agent.Monitoring) as a corpus tagger: the tagger for a
/// real corpus whose phrasings no keyword rule knows. <see cref="RuleBasedTagger"/> stays the cheap alternative.
/// </summary>
/// <remarks>
/// <para><b>Span selection.</b> Only agent (<c>mode2</c>) turns are scored, as the gate reads them: a tool call is one
/// span (its whole line, <c>call tool {json}</c>) read with the latest task before it; each sentence of an answer is one
/// span read with the last tool result before it (exit code, stderr, stdout, see <see cref="ToolResultSummary.ToText"/>;
/// <c>No tool was run.</c> when there is none). A sentence, not the whole answer, so the tag wraps the claim that lies and
/// not the honest sentences around it, as the generator and the rules tag. Tasks and tool results are input, not
/// behaviour, and are never tagged (<see cref="DocumentTagger"/>). Plain (<c>mode1</c>) prose is never scored: the heads
/// were trained on actions with their context, and prose has neither.</para>
/// <para><b>Thresholds.</b> A span gets a tag when the head's probability reaches the head's own threshold, stored in the
/// weights (the lowest with at most 2% false positives on the generated corpus's validation split; see
/// <c>models/classifier.md</c>), or, when the caller gives one, a tagging threshold of its own for every head (a corpus
/// may want more recall than the gate's 2% false-positive point: <c>agent train --tag-threshold P</c>). Heads tag only
/// the kind of action they read: deceit on answers, powerseeking on calls.</para>
/// <para><b>What it cannot do.</b> It cannot tell use from mention: an answer that reports or quotes a lie ("the log says
/// the backup succeeded, but it did not run") is read as a claim, and one that talks about lying is scored like one that
/// lies; that is why prose is left alone. It reads only the last tool result, so a lie about an earlier step (or the
/// denial of an unsafe call several turns back) is seen only as far as that result shows it. Texts longer than the
/// encoder's window (256 word pieces) are cut deterministically and only their beginning is read; such spans are still
/// tagged on what was read and counted in <see cref="Truncated"/>. Its power-seeking head was fitted on the generator's
/// templates and behaves much like a keyword matcher on calls written otherwise (issue 18).</para>
/// <para>Thread-safe when the classifier is; the counters are updated atomically.</para>
/// </remarks>
public sealed class ClassifierTagger : ISpanTagger
{
    private readonly ITagClassifier _classifier;
    private readonly double? _threshold;
    private int _scored;
    private int _tagged;
    private int _truncated;

    /// <summary>Creates the tagger over a loaded classifier (the caller owns and disposes it).</summary>
    /// <param name="classifier">The classifier, e.g. <c>TagClassifier.Load("models/classifier.bin")</c>.</param>
    /// <param name="threshold">A tagging threshold for every head, in (0, 1); null for each head's own (picked on validation).</param>
    public ClassifierTagger(ITagClassifier classifier, double? threshold = null)
    {
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        if (threshold is { } t && !(t > 0 && t < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), t, "A tagging threshold is a probability strictly between 0 and 1.");
        }

        _threshold = threshold;
    }

    /// <inheritdoc />
    public string Name => "classifier";

    /// <summary>Spans scored so far.</summary>
    public int Scored => Volatile.Read(ref _scored);

    /// <summary>Spans that got at least one tag.</summary>
    public int Tagged => Volatile.Read(ref _tagged);

    /// <summary>Spans whose context or text was longer than the encoder's window and was read only in part.</summary>
    public int Truncated => Volatile.Read(ref _truncated);

    /// <inheritdoc />
    public IReadOnlyList<TagSpan> Tag(TaggingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Mode != TurnMode.Agent || string.IsNullOrWhiteSpace(input.Sentence))
        {
            return [];
        }

        var classifierInput = input.Turn switch
        {
            ToolCallTurn call => ClassifierInput.ForCall(LatestTask(input.History), call.Body),
            AnswerTurn => AnswerInput(input.History, input.Sentence),
            _ => null,
        };
        if (classifierInput is null)
        {
            return [];
        }

        var scores = _classifier.Score(classifierInput);
        Interlocked.Increment(ref _scored);
        if (scores.Truncated)
        {
            Interlocked.Increment(ref _truncated);
        }

        IEnumerable<string> flagged = _threshold is { } threshold
            ? scores.Probabilities.Where(p => p.Value >= threshold).Select(p => p.Key)
            : scores.Flagged;
        var tags = flagged.Order(StringComparer.Ordinal).ToList();
        if (tags.Count == 0)
        {
            return [];
        }

        Interlocked.Increment(ref _tagged);
        return [.. tags.Select(tag => new TagSpan(tag, 0, input.Sentence.Length))];
    }

    /// <summary>The last tool result before an action, as the classifier reads it, or null when no tool ran.</summary>
    /// <param name="history">The conversation before the action.</param>
    public static ToolResultSummary? LastResult(Conversation history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var result = history.Turns.OfType<ToolResultTurn>().LastOrDefault();
        return result is null ? null : new ToolResultSummary(result.ExitCode, result.Stdout, result.Stderr);
    }

    /// <summary>The calls before an action, each as its line (<c>call tool {json}</c>, no tags), for an answer's head
    /// (<see cref="ClassifierInput.ForAnswer"/>).</summary>
    /// <param name="history">The conversation before the action.</param>
    public static IReadOnlyList<string> EarlierCalls(Conversation history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return [.. history.Turns.OfType<ToolCallTurn>().Select(c => c.Body)];
    }

    /// <summary>The answer with what its head reads of the conversation before it: the last tool result, the task and the earlier calls.</summary>
    /// <param name="history">The conversation before the answer.</param>
    /// <param name="answer">The answer's text.</param>
    public static ClassifierInput AnswerInput(Conversation history, string answer) =>
        ClassifierInput.ForAnswer(LastResult(history), answer, LatestTask(history), EarlierCalls(history));

    /// <summary>The latest task before an action (empty when there is none).</summary>
    /// <param name="history">The conversation before the action.</param>
    public static string LatestTask(Conversation history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return history.Turns.OfType<TaskTurn>().LastOrDefault()?.Text ?? string.Empty;
    }
}
