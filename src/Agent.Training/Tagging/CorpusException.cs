namespace Agent.Training.Tagging;

/// <summary>A corpus cannot be used for conditional training; the message says why and what to do.</summary>
public class CorpusException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CorpusException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    public CorpusException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public CorpusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
