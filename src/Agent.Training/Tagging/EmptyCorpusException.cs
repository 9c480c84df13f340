namespace Agent.Training.Tagging;

/// <summary>The corpus folder yielded no document (no .txt or .jsonl files, or every line was malformed).</summary>
public sealed class EmptyCorpusException : CorpusException
{
    /// <summary>Creates the exception.</summary>
    public EmptyCorpusException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    public EmptyCorpusException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public EmptyCorpusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
