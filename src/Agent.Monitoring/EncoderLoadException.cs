namespace Agent.Monitoring;

/// <summary>The sentence encoder's files are missing or unreadable. The message names the file and how to get it.</summary>
public sealed class EncoderLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EncoderLoadException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public EncoderLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public EncoderLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
