namespace Agent.Llama;

/// <summary>A GGUF file could not be read or written.</summary>
public sealed class GgufException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GgufException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public GgufException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public GgufException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
