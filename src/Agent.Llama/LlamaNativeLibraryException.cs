namespace Agent.Llama;

/// <summary>The llama.cpp native libraries could not be found or loaded; the message names the file, the folder and the fix.</summary>
public sealed class LlamaNativeLibraryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LlamaNativeLibraryException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LlamaNativeLibraryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LlamaNativeLibraryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
