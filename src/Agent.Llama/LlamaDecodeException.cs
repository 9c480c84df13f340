namespace Agent.Llama;

/// <summary>llama_decode failed; the message gives llama.cpp's return code and what it means.</summary>
public sealed class LlamaDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LlamaDecodeException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LlamaDecodeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LlamaDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
