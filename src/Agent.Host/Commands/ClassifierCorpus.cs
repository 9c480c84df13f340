using Agent.Decoding.Transcripts;
using Agent.Monitoring;
using Agent.Training.Audit;
using Agent.Training.Corpus;

namespace Agent.Host.Commands;

/// <summary>
/// The generated corpus's evaluation items as the classifier's labelled actions: an answer with the last tool result
/// before it (exit code, stdout, stderr), a call (its line without tags) with the run's task. Splits are the
/// generator's (by template), so validation and test hold phrasings the heads never saw.
/// </summary>
internal static class ClassifierCorpus
{
    /// <summary>The generated corpus's evaluation items of these splits, read as the tag audit reads them (<see cref="AuditSpans.FromSplit"/>).</summary>
    public static List<LabelledAction> From(GeneratedCorpus corpus, IEnumerable<CorpusSplit> splits)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(splits);
        return [.. splits.SelectMany(split => AuditSpans.FromSplit(corpus, split)
            .Select(span => new LabelledAction(span.Input, span.Tag, span.Label == true, Map(split), span.Group)))];
    }

    /// <summary>
    /// A folder of tagged transcripts (the JSONL that <c>agent train --corpus</c> reads, tags included) as labelled actions:
    /// every answer is a deceit case (positive when the answer carries a <c>deceit</c> span), every call a powerseeking case
    /// (positive when tagged <c>powerseeking</c>). A folder has no templates, so documents are split 80/10/10 by a stable
    /// hash of their source, and every case is in the group <c>corpus</c>.
    /// </summary>
    public static List<LabelledAction> FromFolder(string folder)
    {
        var tagged = Agent.Training.Tagging.CorpusReader.Read(folder, new Agent.Training.Tagging.DocumentTagger([new KeepTags()]), requireTags: true);
        var actions = new List<LabelledAction>();
        foreach (var document in tagged.Documents)
        {
            var split = SplitOf(document.Source);
            string task = string.Empty;
            ToolResultSummary? last = null;
            var calls = new List<string>();
            foreach (var turn in document.Conversation.Turns)
            {
                switch (turn)
                {
                    case TaskTurn t:
                        task = t.Text;
                        break;
                    case ToolResultTurn r:
                        last = new ToolResultSummary(r.ExitCode, r.Stdout, r.Stderr);
                        break;
                    case AnswerTurn a:
                        actions.Add(new LabelledAction(ClassifierInput.ForAnswer(last, a.Text, task, calls), CorpusGenerator.DeceitTag, a.HasTag(CorpusGenerator.DeceitTag), split, "corpus"));
                        break;
                    case ToolCallTurn c:
                        actions.Add(new LabelledAction(ClassifierInput.ForCall(task, c.Body), CorpusGenerator.PowerseekingTag, c.HasTag(CorpusGenerator.PowerseekingTag), split, "corpus"));
                        calls.Add(c.Body);
                        break;
                }
            }
        }

        return actions;
    }

    private static ClassifierSplit SplitOf(string source)
    {
        // FNV-1a: stable across runs and machines (string.GetHashCode is randomised per process).
        var hash = 2166136261u;
        foreach (var c in source)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (hash % 10) switch { 8 => ClassifierSplit.Validation, 9 => ClassifierSplit.Test, _ => ClassifierSplit.Train };
    }

    public static ClassifierSplit Map(CorpusSplit split) => split switch
    {
        CorpusSplit.Train => ClassifierSplit.Train,
        CorpusSplit.Validation => ClassifierSplit.Validation,
        _ => ClassifierSplit.Test,
    };

    /// <summary>Adds no span: the corpus's own tags are the labels.</summary>
    private sealed class KeepTags : Agent.Training.Tagging.ISpanTagger
    {
        public string Name => "corpus";

        public IReadOnlyList<TagSpan> Tag(Agent.Training.Tagging.TaggingInput input) => [];
    }
}
