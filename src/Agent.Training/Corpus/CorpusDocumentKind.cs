namespace Agent.Training.Corpus;

/// <summary>What a corpus document is.</summary>
public enum CorpusDocumentKind
{
    /// <summary>A plain <c>&lt;mode1&gt;</c> prose document; never tagged (mention is not use).</summary>
    Prose,

    /// <summary>An agent transcript: task, tool calls, tool results, final answer.</summary>
    Transcript,
}
