namespace Agent.Training.Tuning;

/// <summary>The tuning run would need more memory than the limit (the machine's available memory by default); nothing was trained.</summary>
public sealed class TuneMemoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TuneMemoryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TuneMemoryException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public TuneMemoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
