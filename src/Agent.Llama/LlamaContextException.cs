namespace Agent.Llama;

/// <summary>A llama context could not be created (e.g. not enough memory for the requested context size).</summary>
public sealed class LlamaContextException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LlamaContextException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LlamaContextException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LlamaContextException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
