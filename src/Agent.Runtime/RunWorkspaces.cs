using System.Text;
using Agent.Runtime.Storage;
using Agent.Sandbox;
using Microsoft.Extensions.Logging;

namespace Agent.Runtime;

/// <summary>
/// The file-backed <see cref="IRunWorkspaces"/>: one tar archive per waiting run in <see cref="Folder"/> (the
/// <c>workspaces</c> folder beside the run store's database). Every byte goes through the sandbox's archive API
/// (<see cref="ISandbox.ExportWorkspaceAsync"/>, <see cref="ISandbox.ImportWorkspaceAsync"/>): nothing of a workspace is
/// unpacked or run on the host.
/// </summary>
internal sealed partial class RunWorkspaces : IRunWorkspaces
{
    private readonly ISandboxService _sandboxes;
    private readonly IRunStore _store;
    private readonly ILogger _logger;

    public RunWorkspaces(ISandboxService sandboxes, IRunStore store, StorageOptions storage, ILogger<RunWorkspaces> logger)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _sandboxes = sandboxes;
        _store = store;
        _logger = logger;
        Folder = storage.WorkspacesFolder;
    }

    /// <summary>The folder of the archives.</summary>
    public string Folder { get; }

    public async Task CheckFolderAsync(CancellationToken cancellationToken = default)
    {
        var probe = Path.Combine(Folder, $".probe-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Folder);
            await File.WriteAllTextAsync(probe, probe, cancellationToken).ConfigureAwait(false);
            if (await File.ReadAllTextAsync(probe, cancellationToken).ConfigureAwait(false) != probe)
            {
                throw new IOException("the probe file read back differs from what was written");
            }

            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new RunStoreException(
                $"The workspaces folder '{Folder}' cannot be used ({e.Message}): parked and interrupted runs keep their files there. Make it writable by this service, or set Storage:WorkspacesPath to a folder that is (with PostgreSQL, one every host mounts).",
                e);
        }
    }

    public string ArchivePath(string runId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        var name = new StringBuilder(runId.Length + 4);
        foreach (var ch in runId)
        {
            name.Append(char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-' ? ch : '_');
        }

        return Path.Combine(Folder, name.Append(".tar").ToString());
    }

    public async Task<WorkspaceResumption> ResumeAsync(string runId, CancellationToken cancellationToken = default)
    {
        var path = ArchivePath(runId);
        ISandbox? running;
        try
        {
            running = await _sandboxes.FindAsync(runId, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxException e) when (File.Exists(path))
        {
            throw NotRestored(runId, path, $"the sandbox engine failed ({e.Message})", e);
        }

        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (running is not null)
            {
                LogRunning(_logger, runId);
                return WorkspaceResumption.Running;
            }

            LogEmpty(_logger, runId, path);
            return WorkspaceResumption.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkspaceArchiveException(
                path,
                $"The saved workspace of run {runId}, '{path}', cannot be read ({e.Message}); the run fails. Make the file readable by this service; it is a tar archive of the workspace (`tar -tvf` lists it).",
                e);
        }

        try
        {
            if (running is not null)
            {
                // An archive wins over a sandbox found beside it: that sandbox is a host's that died while restoring into it
                // (half filled), or one whose removal failed after the save (the same files). The archive is deleted as
                // soon as a restore completes, so a sandbox that went on working never has one beside it.
                LogLeftoverReplaced(_logger, runId, path);
                await _sandboxes.ReleaseAsync(runId, cancellationToken).ConfigureAwait(false);
            }

            var sandbox = await _sandboxes.GetOrCreateAsync(runId, cancellationToken).ConfigureAwait(false);
            await sandbox.ImportWorkspaceAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped half-way (shutdown): the partly filled sandbox must not be saved over the archive.
            await file.DisposeAsync().ConfigureAwait(false);
            await _sandboxes.ReleaseAsync(runId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception e)
        {
            await file.DisposeAsync().ConfigureAwait(false);
            await _sandboxes.ReleaseAsync(runId, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw NotRestored(runId, path, e is SandboxArchiveException archive ? archive.Reason : $"{e.GetType().Name}: {e.Message}", e);
        }

        await file.DisposeAsync().ConfigureAwait(false);

        // The sandbox holds the workspace now and the run's next tool call changes it: a stale archive left beside it
        // would be restored over those changes by whoever resumes the run after a crash.
        File.Delete(path);
        LogRestored(_logger, runId, path);
        return WorkspaceResumption.Restored;
    }

    public async Task<bool> SuspendAsync(string runId, CancellationToken cancellationToken = default)
    {
        var sandbox = await HadToolsAsync(runId, cancellationToken).ConfigureAwait(false)
            ? await _sandboxes.FindAsync(runId, cancellationToken).ConfigureAwait(false)
            : null;
        if (sandbox is null)
        {
            return false;
        }

        Directory.CreateDirectory(Folder);
        var path = ArchivePath(runId);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        long size;
        try
        {
            var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await sandbox.ExportWorkspaceAsync(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                size = file.Length;
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        LogSaved(_logger, runId, path, size);
        await _sandboxes.ReleaseAsync(runId, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task ReleaseAsync(string runId, CancellationToken cancellationToken = default)
    {
        var path = ArchivePath(runId);
        if (File.Exists(path))
        {
            File.Delete(path);
            LogDeleted(_logger, runId, path);
        }

        if (await HadToolsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            await _sandboxes.FindAsync(runId, cancellationToken).ConfigureAwait(false);
        }

        await _sandboxes.ReleaseAsync(runId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var settled = 0;
        foreach (var runId in await _sandboxes.ListSurvivingRunsAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var run = await _store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
                if (run is null)
                {
                    // A run of another store on this machine (agent bench's, another Storage:DatabasePath): not ours to judge.
                    continue;
                }

                if (run.IsTerminal)
                {
                    // A surviving sandbox means a tool started, so ReleaseAsync adopts it before removing it.
                    await ReleaseAsync(runId, cancellationToken).ConfigureAwait(false);
                    settled++;
                }
                else if (run.Status == RunStatus.Parked && File.Exists(ArchivePath(runId)))
                {
                    // Saved when it parked (its removal failed then): the archive is the workspace; the sandbox goes.
                    await _sandboxes.FindAsync(runId, cancellationToken).ConfigureAwait(false);
                    await _sandboxes.ReleaseAsync(runId, cancellationToken).ConfigureAwait(false);
                    settled++;
                }
                else if (run.Status == RunStatus.Parked
                    && (await _store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false))?.Status == RunStatus.Parked
                    && await SuspendAsync(runId, cancellationToken).ConfigureAwait(false))
                {
                    // Read again just before the save: another host sharing the queue may have resumed the run since the
                    // first read (and adopted this very sandbox), and a resumed run's sandbox is not this start's to remove.
                    settled++;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReconcileFailed(_logger, e, runId, e.Message);
            }
        }

        return settled;
    }

    /// <summary>Whether a tool call ever started for the run: only then can a sandbox of it exist (a run that only thinks and answers never asks the engine anything).</summary>
    private async Task<bool> HadToolsAsync(string runId, CancellationToken cancellationToken) =>
        await _store.CountExecutionsAsync(runId, null, cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>
    /// The archive could not be given back: it is moved aside to RUN_ID.tar.failed (the run's end deletes RUN_ID.tar,
    /// and must not destroy a workspace that was never restored) and the error names it and what to do.
    /// </summary>
    private static WorkspaceArchiveException NotRestored(string runId, string path, string reason, Exception cause)
    {
        var aside = path + ".failed";
        try
        {
            File.Move(path, aside, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            aside = path;
        }

        return new WorkspaceArchiveException(
            aside,
            $"The saved workspace of run {runId}, '{path}', could not be restored: {reason}. The run cannot continue where it stopped and fails; " +
            $"the archive is kept as '{aside}' (a tar archive of the workspace: `tar -tvf` lists it). Recover what you need from it and submit the task again.",
            cause);
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Run {RunId} resumes in its sandbox that is still running; its workspace is as it was")]
    private static partial void LogRunning(ILogger logger, string runId);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Run {RunId} resumes with its workspace restored from {Path} (the archive is deleted: the sandbox holds the workspace now)")]
    private static partial void LogRestored(ILogger logger, string runId, string path);

    [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "Run {RunId} resumes with an EMPTY workspace: no sandbox of it is running and no saved workspace exists at {Path}; files it wrote before it stopped are gone")]
    private static partial void LogEmpty(ILogger logger, string runId, string path);

    [LoggerMessage(EventId = 213, Level = LogLevel.Information, Message = "Saved the workspace of run {RunId} to {Path} ({Bytes} bytes) and removed its sandbox")]
    private static partial void LogSaved(ILogger logger, string runId, string path, long bytes);

    [LoggerMessage(EventId = 214, Level = LogLevel.Debug, Message = "Deleted the saved workspace {Path} of run {RunId}, which ended")]
    private static partial void LogDeleted(ILogger logger, string runId, string path);

    [LoggerMessage(EventId = 216, Level = LogLevel.Warning, Message = "Run {RunId} resumes from its saved workspace {Path}; a sandbox of the run found beside it (left by a host that died while restoring it, or whose removal failed) is removed")]
    private static partial void LogLeftoverReplaced(ILogger logger, string runId, string path);

    [LoggerMessage(EventId = 215, Level = LogLevel.Warning, Message = "Could not settle the surviving sandbox of run {RunId} at start: {Reason}")]
    private static partial void LogReconcileFailed(ILogger logger, Exception exception, string runId, string reason);
}
