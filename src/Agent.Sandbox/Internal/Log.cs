using Microsoft.Extensions.Logging;

namespace Agent.Sandbox.Internal;

/// <summary>Source-generated log messages (named properties, no string interpolation).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Docker engine at {Endpoint} answers; speaking API {ApiVersion}")]
    public static partial void Connected(ILogger logger, string endpoint, Version? apiVersion);

    [LoggerMessage(2, LogLevel.Information, "Building sandbox image {Image} (context {ContextHash})")]
    public static partial void Building(ILogger logger, string image, string contextHash);

    [LoggerMessage(3, LogLevel.Information, "Built sandbox image {Image}")]
    public static partial void Built(ILogger logger, string image);

    [LoggerMessage(4, LogLevel.Warning, "Could not stop a timed-out exec inside sandbox {Container} ({Failure}); killing the container")]
    public static partial void KillTreeFailed(ILogger logger, string container, string failure);

    [LoggerMessage(5, LogLevel.Warning, "Killing sandbox {Container} failed")]
    public static partial void KillFailed(ILogger logger, Exception exception, string container);

    [LoggerMessage(6, LogLevel.Debug, "Reading the OOM counter of sandbox {Container} failed")]
    public static partial void OomCounterFailed(ILogger logger, Exception exception, string container);

    [LoggerMessage(7, LogLevel.Error, "Sandboxes are unavailable: {Reason}")]
    public static partial void Unavailable(ILogger logger, Exception exception, string reason);

    [LoggerMessage(8, LogLevel.Warning, "Removing this process's sandboxes at shutdown failed")]
    public static partial void ShutdownCleanupFailed(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Information, "Removed {Count} sandbox containers of this process")]
    public static partial void RemovedOwn(ILogger logger, int count);

    [LoggerMessage(10, LogLevel.Information, "Removed {Count} orphaned sandbox containers of earlier processes")]
    public static partial void RemovedOrphans(ILogger logger, int count);

    [LoggerMessage(11, LogLevel.Warning, "Pooled sandbox {Container} could not be handed to run {RunId} ({Failure}); removed it, the run gets another")]
    public static partial void PooledContainerUnusable(ILogger logger, string container, string runId, string failure);

    [LoggerMessage(12, LogLevel.Warning, "Filling the sandbox warm pool failed; runs will create their containers themselves")]
    public static partial void PoolFillFailed(ILogger logger, Exception exception);

    [LoggerMessage(13, LogLevel.Debug, "Created sandbox {Container} for run {RunId}")]
    public static partial void Created(ILogger logger, string container, string runId);

    [LoggerMessage(14, LogLevel.Information, "Adopted sandbox {Container} of run {RunId}, left running by {PreviousOwner}; its workspace is as that process left it")]
    public static partial void Adopted(ILogger logger, string container, string runId, string previousOwner);

    [LoggerMessage(15, LogLevel.Information, "Kept {Count} running sandboxes of runs whose process is gone, for their runs to adopt when they resume")]
    public static partial void KeptSurvivors(ILogger logger, int count);

    [LoggerMessage(16, LogLevel.Warning, "Workspace archive entry {Entry} ({Kind}) of sandbox {Container} left out: only files, folders and links are saved and restored")]
    public static partial void ArchiveEntrySkipped(ILogger logger, string entry, string kind, string container);

    [LoggerMessage(17, LogLevel.Information, "Building the root filesystem of sandbox image {Image} with {Script} (recipe {RecipeHash}; debootstrap from Debian's archive takes a few minutes, once per recipe; at most Sandbox:RootBuildTimeoutSeconds = {TimeoutSeconds} s)")]
    public static partial void BuildingRootfs(ILogger logger, string image, string script, string recipeHash, int timeoutSeconds);

    [LoggerMessage(18, LogLevel.Information, "Root filesystem {Image}: {Step}")]
    public static partial void RootfsProgress(ILogger logger, string image, string step);

    [LoggerMessage(19, LogLevel.Information, "Built and imported root filesystem {Image} in {Seconds:F0} s ({SizeMiB:F0} MiB)")]
    public static partial void BuiltRootfs(ILogger logger, string image, double seconds, double sizeMiB);

    [LoggerMessage(20, LogLevel.Information, "Waiting for another process that is building sandbox image {Image}")]
    public static partial void WaitingForBuild(ILogger logger, string image);

    [LoggerMessage(21, LogLevel.Warning, "The root filesystem build of {Image} was stopped and left {Folder}; remove it (unmount anything below it first)")]
    public static partial void RootfsLeftovers(ILogger logger, string image, string folder);
}
