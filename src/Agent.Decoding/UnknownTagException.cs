namespace Agent.Decoding;

/// <summary>A tag name is not configured, or cannot be spelled with the model's vocabulary.</summary>
public sealed class UnknownTagException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnknownTagException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public UnknownTagException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public UnknownTagException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
