namespace Agent.Llama.Ggml;

/// <summary>A ggml context has no room for another tensor or graph, or a graph has no room for more nodes. ggml would abort the process; this is thrown before the native call. Create the context or graph larger.</summary>
public sealed class GgmlCapacityException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public GgmlCapacityException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public GgmlCapacityException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public GgmlCapacityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
