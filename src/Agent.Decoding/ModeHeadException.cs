namespace Agent.Decoding;

/// <summary>A mode head file beside a model is unreadable, malformed, or belongs to another model.</summary>
public sealed class ModeHeadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModeHeadException()
    {
    }

    /// <summary>Creates the exception with a message saying what was wrong and what to do.</summary>
    public ModeHeadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ModeHeadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
