namespace Agent.Llama.Ggml;

/// <summary>A ggml backend could not be created, could not allocate memory, or failed to compute a graph.</summary>
public sealed class GgmlBackendException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GgmlBackendException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public GgmlBackendException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public GgmlBackendException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
