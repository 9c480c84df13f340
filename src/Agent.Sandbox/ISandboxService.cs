namespace Agent.Sandbox;

/// <summary>
/// Hands out Docker sandboxes: one per agent run, created on the run's first tool use (from a warm pool when
/// one is ready) and removed when the run is released. Nothing ever runs on the host: when the engine cannot be
/// reached, every method throws <see cref="DockerUnavailableException"/>.
/// </summary>
public interface ISandboxService
{
    /// <summary>Returns the sandbox of <paramref name="runId"/>, creating it on first use (or replacing it when its container died). A new sandbox has an empty workspace; see <see cref="FindAsync"/> and <see cref="ISandbox.ImportWorkspaceAsync"/> for a run that resumes.</summary>
    /// <param name="runId">The run the sandbox belongs to; recorded in the container's labels and name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The run's sandbox; dispose it or call <see cref="ReleaseAsync"/> at run end.</returns>
    /// <exception cref="DockerUnavailableException">The engine does not answer.</exception>
    /// <exception cref="DockerApiVersionException">The engine refuses every API version this library speaks.</exception>
    /// <exception cref="SandboxImageBuildException">The sandbox image had to be built and its build failed.</exception>
    /// <exception cref="SandboxNetworkNotFoundException">Sandbox:NetworkMode names a network the engine does not have.</exception>
    Task<ISandbox> GetOrCreateAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the live sandbox of <paramref name="runId"/> without creating one: the one this service holds, or a
    /// running container of the run (by its run label, or by its name for a warm-pool container the run took) and of
    /// this installation that was left behind by a process that is gone (killed with SIGKILL, so its shutdown never
    /// removed it) or by an earlier service instance of this process. Such a container is adopted
    /// as it is, workspace, <c>/tmp</c> and processes included: from then on <see cref="GetOrCreateAsync"/> returns it
    /// and <see cref="ReleaseAsync"/> or this service's shutdown removes it. When several survive, the newest is
    /// adopted and the others are removed.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The run's sandbox, or null when it has none anywhere.</returns>
    /// <exception cref="DockerUnavailableException">The engine does not answer.</exception>
    Task<ISandbox?> FindAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The runs that have a running sandbox container left by processes that are gone, which this service could adopt
    /// with <see cref="FindAsync"/> (other service instances of this process are left out: they may be alive). Orphan removal at start (<see cref="SandboxOptions.RemoveOrphansOnStart"/>) keeps
    /// these for their runs; the composition root decides, from the run store, which to adopt, save or remove.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Run ids, each once.</returns>
    /// <exception cref="DockerUnavailableException">The engine does not answer.</exception>
    Task<IReadOnlyList<string>> ListSurvivingRunsAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes the sandbox of <paramref name="runId"/> and its workspace; does nothing when the run has none in this service (call <see cref="FindAsync"/> first to take over a surviving one).</summary>
    /// <param name="runId">The run that ended.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the container is gone.</returns>
    Task ReleaseAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Creates a sandbox that outlives this process, under <paramref name="name"/>, for <c>agent sandbox run --keep</c>; only <see cref="RemoveAllAsync"/> removes it.</summary>
    /// <param name="name">Container name, letters, digits, '_', '.', '-'.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new sandbox; disposing it leaves the container in place.</returns>
    /// <exception cref="DockerUnavailableException">The engine does not answer.</exception>
    Task<ISandbox> CreateDetachedAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Attaches to an existing sandbox container by name or id (only containers labelled as sandboxes).</summary>
    /// <param name="nameOrId">Container name or id.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The sandbox; disposing it leaves the container in place.</returns>
    /// <exception cref="SandboxNotFoundException">No running sandbox has that name or id.</exception>
    /// <exception cref="DockerUnavailableException">The engine does not answer.</exception>
    Task<ISandbox> AttachAsync(string nameOrId, CancellationToken cancellationToken = default);

    /// <summary>Builds every image under <see cref="SandboxOptions.ImagesDirectory"/> whose build context changed (or all, with <paramref name="force"/>).</summary>
    /// <param name="force">Rebuild even when the context hash label matches.</param>
    /// <param name="cancellationToken">Cancels the build.</param>
    /// <returns>The image references that are now current.</returns>
    /// <exception cref="SandboxImageBuildException">A build failed (the first that failed, after every image was tried); the message carries the end of its log.</exception>
    /// <exception cref="DockerUnavailableException">The engine does not answer.</exception>
    Task<IReadOnlyList<string>> BuildImagesAsync(bool force = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes every sandbox container and workspace volume of this installation, from any of its processes, live or
    /// not, detached ones included (<c>agent sandbox clean</c>); with <paramref name="everyInstallation"/>, those of
    /// every installation sharing the engine (<c>agent sandbox clean --all</c>).
    /// </summary>
    /// <param name="everyInstallation">Also remove sandboxes other installations (other folders, hosts or versions) created.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many containers were removed.</returns>
    /// <exception cref="DockerUnavailableException">The engine does not answer.</exception>
    Task<int> RemoveAllAsync(bool everyInstallation = false, CancellationToken cancellationToken = default);
}
