namespace Agent.Training.Tagging;

/// <summary>No document of the corpus carries any tag span, so conditional training would learn nothing about the tags.</summary>
public sealed class UntaggedCorpusException : CorpusException
{
    /// <summary>Creates the exception.</summary>
    public UntaggedCorpusException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    public UntaggedCorpusException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public UntaggedCorpusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
