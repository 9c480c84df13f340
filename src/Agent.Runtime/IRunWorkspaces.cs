namespace Agent.Runtime;

/// <summary>
/// Keeps a run's sandbox workspace across the points where the run stops without ending: parked for a person's
/// decision, put back in the queue by a shutdown, or cut off by a killed process. The runner calls it; the
/// composition root calls <see cref="ReconcileAsync"/> when the service starts.
/// </summary>
/// <remarks>
/// Where the workspace lives while the run waits: a tar archive, written through the sandbox engine's archive API, in
/// a <c>workspaces</c> folder next to the run store's database (<c>data/workspaces/RUN_ID.tar</c> by default), not a
/// table in the run store (or in <c>Storage:WorkspacesPath</c>, a folder every host mounts, when several hosts share a
/// PostgreSQL run store). A workspace holds up to <c>Sandbox:WorkspaceSizeMiB</c> (64 MiB by default): as a file it is
/// streamed to disk and back without being held in memory, written atomically (temporary file, flushed to disk, then
/// renamed over the old one), and it keeps the database and its write-ahead log small; the run store's schema is
/// unchanged, so nothing in it stands in the way of PostgreSQL. Hosts that share a PostgreSQL queue need this folder on
/// shared storage; <see cref="CheckFolderAsync"/> proves at start that this host can write and read it.
/// </remarks>
public interface IRunWorkspaces
{
    /// <summary>
    /// At service start, before any run is taken: creates the workspaces folder when it is missing and writes, reads back
    /// and deletes a probe file in it, so a folder this host cannot use (a shared mount that is missing or read-only)
    /// stops the start with its path, not a run later.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the folder works.</returns>
    /// <exception cref="Agent.Runtime.Storage.RunStoreException">The folder cannot be created, written or read; the message names it and <c>Storage:WorkspacesPath</c>.</exception>
    Task CheckFolderAsync(CancellationToken cancellationToken = default);

    /// <summary>The file where <paramref name="runId"/>'s workspace is saved while the run waits.</summary>
    string ArchivePath(string runId);

    /// <summary>
    /// Gives a resuming run its workspace back, before its first tool call. A saved archive wins: a new sandbox gets it
    /// and the archive is deleted once the restore completes (the sandbox holds the workspace from then on, and the
    /// run's next call changes it), so a sandbox of the run found beside an archive is a leftover (a host died while
    /// restoring into it, or its removal failed after the save) and is removed first. Without an archive, a sandbox
    /// that is still running for the run (held by this process, or left by a killed one) is used as it is; when
    /// neither exists the run continues with an empty workspace and a warning is logged that names the archive file
    /// that was looked for.
    /// </summary>
    /// <param name="runId">The run that resumes.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Where the workspace came from.</returns>
    /// <exception cref="WorkspaceArchiveException">The saved archive is corrupt, unsafe, larger than the workspace, or unreadable; the message names the file and what to do. A corrupt archive is moved aside to <c>RUN_ID.tar.failed</c>.</exception>
    /// <exception cref="Agent.Sandbox.DockerUnavailableException">The engine does not answer.</exception>
    Task<WorkspaceResumption> ResumeAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves the workspace of a run that stops without ending (parked, or put back in the queue at shutdown) to
    /// <see cref="ArchivePath"/>, then removes its sandbox. A run that has no sandbox (no tool ran) keeps any archive
    /// it already has. When saving fails the sandbox is left running and the exception propagates.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>True when an archive was written.</returns>
    Task<bool> SuspendAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Removes the sandbox (a surviving one included) and deletes the saved archive of a run that ended (completed, failed, blocked, limit) or will not be resumed.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when both are gone.</returns>
    Task ReleaseAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// At service start: settles the sandboxes that killed processes left running, from what the run store says of
    /// their runs. A run that ended loses its sandbox and archive; a parked run's workspace is saved (unless its archive
    /// already exists, which wins) and its sandbox removed (a person may take days to decide), its status read again
    /// just before the save because another host sharing the queue may have resumed it; a queued or running run's sandbox is left for the run to adopt when
    /// a worker resumes it; a run this store does not know (another store's on the same machine) is left alone
    /// (<c>agent sandbox clean</c> removes such leftovers). Failures are logged per run, never thrown.
    /// </summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>How many surviving sandboxes were saved or removed.</returns>
    Task<int> ReconcileAsync(CancellationToken cancellationToken = default);
}
