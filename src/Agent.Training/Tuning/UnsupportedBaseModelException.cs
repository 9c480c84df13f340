namespace Agent.Training.Tuning;

/// <summary>
/// The base GGUF cannot be tag-tuned: another architecture, a tensor type that is not read, a missing or misshapen
/// weight, or an option it does not support (e.g. <c>--chat</c> without a chat template). The message names the file
/// and what to do.
/// </summary>
public sealed class UnsupportedBaseModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedBaseModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnsupportedBaseModelException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnsupportedBaseModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
