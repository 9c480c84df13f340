namespace Agent.Runtime.Storage;

/// <summary>The run store cannot be read or written (database locked, disk full, schema too new); the message names the file.</summary>
public sealed class RunStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RunStoreException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RunStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RunStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
