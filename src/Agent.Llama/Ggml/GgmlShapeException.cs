namespace Agent.Llama.Ggml;

/// <summary>A ggml op was given tensors whose shapes or types it does not accept. ggml would abort the process; this is thrown before the native call instead.</summary>
public sealed class GgmlShapeException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public GgmlShapeException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public GgmlShapeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public GgmlShapeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
