namespace Agent.Decoding.Transcripts;

/// <summary>Text or a value does not follow the transcript format; the message says what and where.</summary>
public sealed class TranscriptFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TranscriptFormatException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    public TranscriptFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public TranscriptFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
