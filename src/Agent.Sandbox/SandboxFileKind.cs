namespace Agent.Sandbox;

/// <summary>Kind of a workspace entry.</summary>
public enum SandboxFileKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link.</summary>
    SymbolicLink,

    /// <summary>Anything else (fifo, device, ...).</summary>
    Other,
}
