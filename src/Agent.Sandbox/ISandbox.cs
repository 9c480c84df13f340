namespace Agent.Sandbox;

/// <summary>
/// One running sandbox container: exec commands and move files in and out of its workspace.
/// Disposing a run's sandbox removes its container; disposing an attached one only lets go of it.
/// </summary>
public interface ISandbox : IAsyncDisposable
{
    /// <summary>The run this sandbox belongs to (the name for detached and attached sandboxes).</summary>
    string RunId { get; }

    /// <summary>The Docker container id.</summary>
    string ContainerId { get; }

    /// <summary>The workspace directory inside the sandbox (<see cref="SandboxOptions.WorkspacePath"/>).</summary>
    string WorkspacePath { get; }

    /// <summary>Runs a command inside the sandbox (no shell is involved unless the command is one) and waits for it.</summary>
    /// <param name="request">Command, arguments, stdin, environment, working directory and timeout.</param>
    /// <param name="cancellationToken">Cancels the exec; every process of the sandbox user is killed, the container's own excepted.</param>
    /// <returns>Exit code, captured output (capped, truncation flagged) and wall time.</returns>
    /// <exception cref="SandboxExecTimeoutException">The command ran past its timeout; it and every other process of the sandbox user (but the container's own) were killed.</exception>
    /// <exception cref="SandboxOutOfMemoryException">The kernel killed the command for going over the memory limit.</exception>
    /// <exception cref="SandboxContainerDiedException">The sandbox container is not running any more.</exception>
    /// <exception cref="SandboxPathException">The working directory is outside the workspace.</exception>
    /// <exception cref="DockerUnavailableException">The engine does not answer.</exception>
    Task<SandboxExecResult> ExecAsync(SandboxExecRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a file into the workspace, creating its parent folders, inside the sandbox as the sandbox user: each folder
    /// is entered and checked to be inside the workspace, the bytes go to a new file there that then replaces the name
    /// (a link at that name is replaced, not followed).
    /// </summary>
    /// <param name="path">Path relative to the workspace.</param>
    /// <param name="content">The bytes to write (at most <see cref="SandboxOptions.MaxFileBytes"/>).</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>A task that completes when the file is written.</returns>
    /// <exception cref="SandboxPathException">The path is absolute, climbs out with '..', passes a symlink that leads out of the workspace, or the content is too large.</exception>
    /// <exception cref="SandboxContainerDiedException">The sandbox container is not running any more.</exception>
    Task PutFileAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a file from the workspace, inside the sandbox as the sandbox user: the file is opened first (a file that
    /// user may not read is refused) and what was opened must lie inside the workspace, so a link swapped in during the
    /// read cannot lead out of it.
    /// </summary>
    /// <param name="path">Path relative to the workspace.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>The file's bytes.</returns>
    /// <exception cref="SandboxPathException">The path is refused, missing, not a regular file, or larger than <see cref="SandboxOptions.MaxFileBytes"/>.</exception>
    /// <exception cref="SandboxContainerDiedException">The sandbox container is not running any more.</exception>
    Task<byte[]> GetFileAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Lists a workspace folder recursively, inside the sandbox as the sandbox user (links are listed, not followed).</summary>
    /// <param name="path">Folder relative to the workspace; "." is the workspace itself.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The entries below the folder, with paths relative to the workspace.</returns>
    /// <exception cref="SandboxPathException">The path is refused or missing.</exception>
    /// <exception cref="SandboxContainerDiedException">The sandbox container is not running any more.</exception>
    Task<IReadOnlyList<SandboxFileEntry>> ListFilesAsync(string path = ".", CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the whole workspace as a tar archive (PAX) to <paramref name="destination"/>, read through the engine's
    /// archive API: entry names are relative to the workspace (<c>notes/a.txt</c>), regular files, folders, symbolic and
    /// hard links keep their mode and time; other kinds (fifos, sockets) are left out. What a parked or stopped run
    /// leaves behind is saved this way and given back with <see cref="ImportWorkspaceAsync"/>.
    /// </summary>
    /// <param name="destination">Where the archive goes; it is not closed.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>A task that completes when the archive is written.</returns>
    /// <exception cref="SandboxContainerDiedException">The sandbox container is not running any more.</exception>
    /// <exception cref="SandboxPathException">The engine refused to read the workspace.</exception>
    Task ExportWorkspaceAsync(Stream destination, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extracts an archive written by <see cref="ExportWorkspaceAsync"/> into the workspace, through the engine's
    /// archive API (nothing is unpacked on the host). Every entry is checked before anything is extracted: it must be
    /// a path inside the workspace (no absolute path, no '..', nothing below a symbolic link of the archive), and the
    /// files together must fit in <see cref="SandboxOptions.WorkspaceSizeMiB"/>. Files are owned by the sandbox user
    /// (<see cref="SandboxOptions.User"/>), whatever the archive says, and lose setuid/setgid bits. The engine extracts as
    /// root and follows links the workspace already holds, so import into a fresh sandbox only (as a resuming run does),
    /// before anything has run in it: links planted by a command could otherwise lead the extraction out of the workspace.
    /// </summary>
    /// <param name="archive">The tar archive; read once, to its end; it is not closed.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>A task that completes when the workspace holds the archive's files.</returns>
    /// <exception cref="SandboxArchiveException">The archive is unreadable, has an entry outside the workspace, or is larger than the workspace.</exception>
    /// <exception cref="SandboxContainerDiedException">The sandbox container is not running any more.</exception>
    Task ImportWorkspaceAsync(Stream archive, CancellationToken cancellationToken = default);
}
