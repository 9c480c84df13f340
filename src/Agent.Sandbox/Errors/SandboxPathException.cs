namespace Agent.Sandbox;

/// <summary>A workspace path was refused: absolute, climbing out with '..', leading out through a symlink, missing, or the wrong kind.</summary>
public sealed class SandboxPathException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The path as given.</param>
    /// <param name="reason">Why it was refused.</param>
    public SandboxPathException(string path, string reason)
        : base($"Workspace path '{path}' refused: {reason}. Paths are relative to the sandbox workspace and must stay inside it.")
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The path as given.</summary>
    public string Path { get; }

    /// <summary>Why it was refused.</summary>
    public string Reason { get; }
}
