namespace Agent.Sandbox;

/// <summary>One entry of a workspace listing.</summary>
/// <param name="Path">Path relative to the workspace, '/' separated.</param>
/// <param name="Kind">File, directory, symlink or other.</param>
/// <param name="Size">Size in bytes (0 for directories).</param>
/// <param name="LinkTarget">Target of a symlink, else null.</param>
public sealed record SandboxFileEntry(string Path, SandboxFileKind Kind, long Size, string? LinkTarget);
