namespace Agent.Monitoring;

/// <summary>
/// A classifier weights file is missing, corrupt, or made for another encoder, dimension or tag set. The message names
/// the file and says how to make a new one (<c>agent classifier train</c>).
/// </summary>
public sealed class ClassifierWeightsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClassifierWeightsException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ClassifierWeightsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ClassifierWeightsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The file involved, when there is one.</summary>
    public string? FilePath { get; init; }
}
