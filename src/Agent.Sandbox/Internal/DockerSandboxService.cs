using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Sandbox.Internal;

/// <summary>
/// The Docker implementation of <see cref="ISandboxService"/>: a sandbox per run, a warm pool of started containers,
/// orphan removal at start and removal of its own containers at shutdown. A run's container that a killed process
/// left running is not an orphan to remove but a survivor to adopt (<see cref="FindAsync"/>): its workspace is the
/// run's latest state. Everything it removes or adopts without being asked by name carries this installation's label
/// (<see cref="SandboxLabels.CurrentInstallation"/>); other installations sharing the daemon are left alone.
/// </summary>
internal sealed class DockerSandboxService : ISandboxService, IHostedService, IAsyncDisposable
{
    private const string VolumeLabel = "agent.sandbox.volume";

    // PID 1 is docker-init (Init = true), which reaps the orphans of killed exec trees; this loop just keeps the container alive.
    private static readonly string[] KeepAlive = ["trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"];

    private readonly SandboxOptions _options;
    private readonly string _owner = SandboxLabels.NewOwner();
    private readonly string _installation;
    private readonly ILogger _logger;
    private readonly DockerEngine _engine;
    private readonly ImageBuilder _images;
    private readonly ConcurrentDictionary<string, Lazy<Task<DockerSandbox>>> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DockerSandbox> _owned = new(StringComparer.Ordinal);

    // Adopted containers carry their first owner's label, so the label sweep at shutdown misses them: removed by id.
    private readonly ConcurrentDictionary<string, DockerSandbox> _adopted = new(StringComparer.Ordinal);
    private readonly Channel<DockerSandbox> _pool = Channel.CreateUnbounded<DockerSandbox>();
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _refillLock = new();
    private Task _refill = Task.CompletedTask;
    private bool _initialised;
    private int _disposed;

    public DockerSandboxService(IOptions<SandboxOptions> options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, SandboxLabels.CurrentInstallation)
    {
    }

    /// <summary>A service of the given installation (tests play a second installation with it).</summary>
    internal DockerSandboxService(IOptions<SandboxOptions> options, ILoggerFactory? loggerFactory, string installation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(installation);
        _installation = installation;
        _options = options.Value;
        _logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<DockerSandboxService>();
        _engine = new DockerEngine(_options, _logger);
        _images = new ImageBuilder(_options, _engine, _logger);
    }

    internal DockerEngine Engine => _engine;

    /// <summary>The image builder (tests build one image through it).</summary>
    internal ImageBuilder Images => _images;

    /// <summary>The owner label of this instance's containers.</summary>
    internal string Owner => _owner;

    /// <summary>The installation label of this instance's containers.</summary>
    internal string Installation => _installation;

    internal int PooledCount => _pool.Reader.Count;

    public async Task<ISandbox> GetOrCreateAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        while (true)
        {
            var lazy = _runs.GetOrAdd(runId, id => new Lazy<Task<DockerSandbox>>(() => AcquireAsync(id, _stopping.Token)));
            DockerSandbox sandbox;
            try
            {
                sandbox = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch when (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
            {
                _runs.TryRemove(KeyValuePair.Create(runId, lazy));
                throw;
            }

            if (!sandbox.IsDead)
            {
                return sandbox;
            }

            // Its container died (OOM, fork bomb, removed from outside): give the run a fresh one.
            if (_runs.TryRemove(KeyValuePair.Create(runId, lazy)))
            {
                await RemoveAsync(sandbox, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task ReleaseAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        if (!_runs.TryRemove(runId, out var lazy))
        {
            return;
        }

        DockerSandbox sandbox;
        try
        {
            sandbox = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxException)
        {
            return;
        }

        await RemoveAsync(sandbox, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ISandbox?> FindAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_runs.TryGetValue(runId, out var held))
        {
            try
            {
                var sandbox = await held.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (!sandbox.IsDead)
                {
                    return sandbox;
                }
            }
            catch (SandboxException)
            {
                // Its creation failed: GetOrCreateAsync retries; nothing to find.
            }

            return null;
        }

        var survivors = (await ListSurvivorsAsync(runId, orphansOnly: false, cancellationToken).ConfigureAwait(false))
            .OrderByDescending(c => c.Created)
            .ToList();
        if (survivors.Count == 0)
        {
            return null;
        }

        var newest = survivors[0];
        foreach (var stale in survivors.Skip(1))
        {
            await RemoveContainerAndVolumeAsync(stale.ID, LabelOf(stale.Labels, VolumeLabel), cancellationToken).ConfigureAwait(false);
        }

        var name = NameOf(newest);
        var adopted = new DockerSandbox(_engine, _options, _logger, newest.ID, name, LabelOf(newest.Labels, VolumeLabel), runId, ReleaseFromDisposeAsync);
        var lazy = new Lazy<Task<DockerSandbox>>(Task.FromResult(adopted));
        if (!_runs.TryAdd(runId, lazy))
        {
            // A concurrent call got the run a sandbox first (possibly this very container): use what it holds.
            return await FindAsync(runId, cancellationToken).ConfigureAwait(false);
        }

        _owned[adopted.ContainerId] = adopted;
        _adopted[adopted.ContainerId] = adopted;
        Log.Adopted(_logger, name, runId, LabelOf(newest.Labels, SandboxLabels.Owner) ?? "?");
        return adopted;
    }

    public async Task<IReadOnlyList<string>> ListSurvivingRunsAsync(CancellationToken cancellationToken = default)
    {
        var survivors = await ListSurvivorsAsync(null, orphansOnly: true, cancellationToken).ConfigureAwait(false);
        return survivors.Select(c => RunOf(c.Labels, NameOf(c))!).Distinct(StringComparer.Ordinal).ToList();
    }

    public async Task<ISandbox> CreateDetachedAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!IsContainerName(name))
        {
            throw new ArgumentException($"Sandbox name '{name}' must start with a letter or digit and hold only letters, digits, '_', '.' and '-'.", nameof(name));
        }

        await InitialiseAsync(cancellationToken).ConfigureAwait(false);
        var sandbox = await CreateContainerAsync(name, name, SandboxLabels.DetachedOwner, cancellationToken).ConfigureAwait(false);
        _owned.TryRemove(sandbox.ContainerId, out _);
        return new DockerSandbox(_engine, _options, _logger, sandbox.ContainerId, name, sandbox.VolumeName, name, onDispose: null);
    }

    public async Task<ISandbox> AttachAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrId);
        ContainerInspectResponse inspect;
        try
        {
            inspect = await _engine.CallAsync(c => c.Containers.InspectContainerAsync(nameOrId, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new SandboxNotFoundException(nameOrId);
        }

        var labels = inspect.Config?.Labels;
        if (labels is null || !labels.TryGetValue(SandboxLabels.Marker, out var marker) || marker != "true" || inspect.State is not { Running: true })
        {
            throw new SandboxNotFoundException(nameOrId);
        }

        labels.TryGetValue(VolumeLabel, out var volume);
        var name = inspect.Name.TrimStart('/');
        return new DockerSandbox(_engine, _options, _logger, inspect.ID, name, volume, RunOf(labels, name) ?? nameOrId, onDispose: null);
    }

    public async Task<IReadOnlyList<string>> BuildImagesAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        // Every image is tried: one that cannot be built here (the debian root without root rights) does not keep the
        // others from being built; the first failure is thrown once all were tried.
        var built = new List<string>();
        SandboxImageBuildException? failure = null;
        foreach (var image in _images.Available())
        {
            try
            {
                built.Add(await _images.EnsureAsync(image, force, cancellationToken).ConfigureAwait(false));
            }
            catch (SandboxImageBuildException e)
            {
                failure ??= e;
            }
        }

        return failure is null ? built : throw failure;
    }

    public async Task<int> RemoveAllAsync(bool everyInstallation = false, CancellationToken cancellationToken = default)
    {
        var removed = await RemoveLabelledAsync(everyInstallation ? null : _installation, static _ => true, keepSurvivors: false, cancellationToken).ConfigureAwait(false);
        while (_pool.Reader.TryRead(out _))
        {
        }

        _owned.Clear();
        _adopted.Clear();
        _runs.Clear();
        return removed;
    }

    /// <summary>Host start: connect, remove orphans of earlier processes, fill the warm pool. An absent daemon is logged, not fatal: every tool call then fails with <see cref="DockerUnavailableException"/>.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await InitialiseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxException e)
        {
            Log.Unavailable(_logger, e, e.Message);
        }
    }

    /// <summary>Host stop: remove every container this process created (runs and pool).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => RemoveOwnedAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await RemoveOwnedAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (SandboxException e)
        {
            Log.ShutdownCleanupFailed(_logger, e);
        }

        await _engine.DisposeAsync().ConfigureAwait(false);
        _images.Dispose();
        _stopping.Dispose();
        _initGate.Dispose();
    }

    internal async Task RemoveOwnedAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _refill.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (_pool.Reader.TryRead(out _))
        {
        }

        _runs.Clear();
        if (!_initialised && _owned.IsEmpty)
        {
            return;
        }

        var removed = await RemoveLabelledAsync(_installation, owner => owner == _owner, keepSurvivors: false, cancellationToken).ConfigureAwait(false);
        foreach (var adopted in _adopted.Values)
        {
            await RemoveContainerAndVolumeAsync(adopted.ContainerId, adopted.VolumeName, cancellationToken).ConfigureAwait(false);
            removed++;
        }

        _adopted.Clear();
        _owned.Clear();
        if (removed > 0)
        {
            Log.RemovedOwn(_logger, removed);
        }
    }

    private async Task InitialiseAsync(CancellationToken cancellationToken)
    {
        if (_initialised)
        {
            return;
        }

        await _initGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialised)
            {
                return;
            }

            await _engine.ClientAsync(cancellationToken).ConfigureAwait(false);
            if (_options.RemoveOrphansOnStart)
            {
                var orphans = await RemoveLabelledAsync(_installation, SandboxLabels.IsOrphan, keepSurvivors: true, cancellationToken).ConfigureAwait(false);
                if (orphans > 0)
                {
                    Log.RemovedOrphans(_logger, orphans);
                }
            }

            await _images.EnsureAsync(_options.Image, force: false, cancellationToken).ConfigureAwait(false);
            _initialised = true;
        }
        finally
        {
            _initGate.Release();
        }

        Refill();
    }

    private async Task<DockerSandbox> AcquireAsync(string runId, CancellationToken cancellationToken)
    {
        await InitialiseAsync(cancellationToken).ConfigureAwait(false);

        // A pooled container keeps its "pool" run label (labels are immutable): only its new name says it is the run's,
        // so a run whose id no name can carry gets a container of its own.
        while (SandboxNames.CarriesRun(runId) && _pool.Reader.TryRead(out var warm))
        {
            Refill();
            if (await TakeFromPoolAsync(warm, runId, cancellationToken).ConfigureAwait(false))
            {
                return warm;
            }
        }

        Refill();
        return await CreateContainerAsync(SandboxNames.ForRun(runId), runId, _owner, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands a pooled container to a run when it still runs and takes the run's name (which is how a later process
    /// knows whose it is, <see cref="SandboxNames.RunOf"/>); otherwise removes it and returns false.
    /// </summary>
    private async Task<bool> TakeFromPoolAsync(DockerSandbox warm, string runId, CancellationToken cancellationToken)
    {
        var name = SandboxNames.ForRun(runId);
        string? failure;
        try
        {
            var inspect = await _engine.CallAsync(c => c.Containers.InspectContainerAsync(warm.ContainerId, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (inspect.State is { Running: true })
            {
                await _engine.CallAsync(c => c.Containers.RenameContainerAsync(warm.ContainerId, new ContainerRenameParameters { NewName = name }, cancellationToken), cancellationToken).ConfigureAwait(false);
                warm.Name = name;
                warm.RunId = runId;
                return true;
            }

            failure = inspect.State is { } state ? $"{state.Status}, exit code {state.ExitCode}" : "unknown state";
        }
        catch (DockerContainerNotFoundException)
        {
            failure = "removed";
        }
        catch (DockerApiException e)
        {
            failure = $"{e.StatusCode}: {e.ResponseBody?.Trim()}";
        }

        Log.PooledContainerUnusable(_logger, warm.Name, runId, failure);
        await RemoveAsync(warm, CancellationToken.None).ConfigureAwait(false);
        return false;
    }

    private void Refill()
    {
        if (_options.WarmPoolSize == 0 || _stopping.IsCancellationRequested)
        {
            return;
        }

        lock (_refillLock)
        {
            if (_refill.IsCompleted)
            {
                _refill = Task.Run(FillPoolAsync);
            }
        }
    }

    private async Task FillPoolAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested && _pool.Reader.Count < _options.WarmPoolSize)
        {
            try
            {
                // Not cancelled half-way: a create the daemon completes after the client gave up would leak a container.
                var sandbox = await CreateContainerAsync(SandboxNames.ForPool(), SandboxLabels.PoolRun, _owner, CancellationToken.None).ConfigureAwait(false);
                await _pool.Writer.WriteAsync(sandbox, CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SandboxException or DockerApiException)
            {
                Log.PoolFillFailed(_logger, e);
                return;
            }
        }
    }

    private async Task<DockerSandbox> CreateContainerAsync(string name, string runId, string owner, CancellationToken cancellationToken)
    {
        var image = await _images.EnsureAsync(_options.Image, force: false, cancellationToken).ConfigureAwait(false);
        var labels = SandboxLabels.For(owner, runId, _installation);
        var volume = name + "-ws";
        labels[VolumeLabel] = volume;
        var user = _options.User.Split(':');
        var gid = user.Length > 1 ? user[1] : user[0];

        // The workspace is a tmpfs-backed volume: size-capped, gone with the sandbox, and (unlike a --tmpfs mount)
        // reachable by the engine's archive API, which ExportWorkspaceAsync / ImportWorkspaceAsync use.
        await _engine.CallAsync(
            c => c.Volumes.CreateAsync(
                new VolumesCreateParameters
                {
                    Name = volume,
                    Driver = "local",
                    DriverOpts = new Dictionary<string, string>
                    {
                        ["type"] = "tmpfs",
                        ["device"] = "tmpfs",
                        ["o"] = string.Create(CultureInfo.InvariantCulture, $"size={_options.WorkspaceSizeMiB}m,uid={user[0]},gid={gid},mode=0700,nosuid,nodev"),
                    },
                    Labels = labels,
                },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);

        var mounts = new List<Mount>
        {
            new() { Type = "volume", Source = volume, Target = _options.WorkspacePath, ReadOnly = false },
        };
        mounts.AddRange(_options.ReadOnlyMounts.Select(m => new Mount
        {
            Type = "bind",
            Source = m.HostPath,
            Target = m.ContainerPath,
            ReadOnly = true,
            BindOptions = new BindOptions { Propagation = "rprivate" },
        }));

        var parameters = new CreateContainerParameters
        {
            Name = name,
            Image = image,
            User = _options.User,
            WorkingDir = _options.WorkspacePath,
            Labels = labels,
            Entrypoint = ["/bin/sh", "-c"],
            Cmd = KeepAlive,
            Env = [$"HOME={_options.WorkspacePath}"],
            AttachStdin = false,
            AttachStdout = false,
            AttachStderr = false,
            Tty = false,
            HostConfig = new HostConfig
            {
                NetworkMode = _options.NetworkMode,
                Memory = _options.MemoryLimitMiB * 1024L * 1024L,
                MemorySwap = _options.MemorySwapLimitMiB * 1024L * 1024L,
                NanoCPUs = (long)(_options.Cpus * 1_000_000_000),
                PidsLimit = _options.PidsLimit,
                ReadonlyRootfs = _options.ReadOnlyRootFilesystem,
                CapDrop = ["ALL"],
                // Docker's default seccomp profile stays on: it is applied unless a seccomp= option overrides it.
                SecurityOpt = ["no-new-privileges:true"],
                Privileged = false,
                Init = true,
                IpcMode = "private",
                OomScoreAdj = 500,
                ShmSize = _options.TmpSizeMiB * 1024L * 1024L,
                Tmpfs = new Dictionary<string, string>
                {
                    ["/tmp"] = string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,size={_options.TmpSizeMiB}m,mode=1777"),
                },
                Mounts = mounts,
                AutoRemove = false,
            },
        };

        string? id = null;
        try
        {
            var created = await _engine.CallAsync(c => c.Containers.CreateContainerAsync(parameters, cancellationToken), cancellationToken).ConfigureAwait(false);
            id = created.ID;
            await _engine.CallAsync(c => c.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound && e.ResponseBody?.Contains("network", StringComparison.OrdinalIgnoreCase) == true)
        {
            await RemoveContainerAndVolumeAsync(id, volume, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw new SandboxNetworkNotFoundException(_options.NetworkMode, e);
        }
        catch
        {
            await RemoveContainerAndVolumeAsync(id, volume, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        var sandbox = new DockerSandbox(_engine, _options, _logger, id, name, volume, runId, owner == SandboxLabels.DetachedOwner ? null : ReleaseFromDisposeAsync);
        _owned[id] = sandbox;
        Log.Created(_logger, name, runId);
        return sandbox;
    }

    private async ValueTask ReleaseFromDisposeAsync(DockerSandbox sandbox)
    {
        if (_runs.TryGetValue(sandbox.RunId, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && lazy.Value.Result == sandbox)
        {
            _runs.TryRemove(KeyValuePair.Create(sandbox.RunId, lazy));
        }

        await RemoveAsync(sandbox, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RemoveAsync(DockerSandbox sandbox, CancellationToken cancellationToken)
    {
        _owned.TryRemove(sandbox.ContainerId, out _);
        _adopted.TryRemove(sandbox.ContainerId, out _);
        sandbox.MarkDead("the sandbox was released");
        await RemoveContainerAndVolumeAsync(sandbox.ContainerId, sandbox.VolumeName, cancellationToken).ConfigureAwait(false);
    }

    private async Task RemoveContainerAndVolumeAsync(string? containerId, string? volume, CancellationToken cancellationToken)
    {
        if (containerId is not null)
        {
            try
            {
                await _engine.CallAsync(c => c.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound || e.StatusCode == HttpStatusCode.Conflict)
            {
                // Already gone, or its removal is already in progress.
            }
        }

        if (volume is not null)
        {
            try
            {
                await _engine.CallAsync(c => c.Volumes.RemoveAsync(volume, true, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }
    }

    /// <summary>
    /// Removes the labelled containers (and workspace volumes) of <paramref name="installation"/> (null: of every
    /// installation) whose owner label matches; returns the container count. With <paramref name="keepSurvivors"/>,
    /// running containers of a run (not idle pool ones) are kept, volume included: their run adopts them when it
    /// resumes (<see cref="FindAsync"/>).
    /// </summary>
    private async Task<int> RemoveLabelledAsync(string? installation, Func<string?, bool> ownerMatches, bool keepSurvivors, CancellationToken cancellationToken)
    {
        var containers = await _engine.CallAsync(
            c => c.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = SandboxLabels.MarkerFilter(installation: installation) }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var matching = containers.Where(c => ownerMatches(LabelOf(c.Labels, SandboxLabels.Owner))).ToList();
        var kept = keepSurvivors ? matching.Where(IsRunSurvivor).ToList() : [];
        var doomed = matching.Except(kept).ToList();
        var keptVolumes = kept.Select(c => LabelOf(c.Labels, VolumeLabel)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (kept.Count > 0)
        {
            Log.KeptSurvivors(_logger, kept.Count);
        }

        await Parallel.ForEachAsync(doomed, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (container, token) =>
            await RemoveContainerAndVolumeAsync(container.ID, LabelOf(container.Labels, VolumeLabel), token).ConfigureAwait(false)).ConfigureAwait(false);

        // Volumes whose container never got created (a crash between the two calls).
        var volumes = await _engine.CallAsync(
            c => c.Volumes.ListAsync(new VolumesListParameters { Filters = SandboxLabels.MarkerFilter(installation: installation) }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        foreach (var volume in volumes.Volumes ?? [])
        {
            if (ownerMatches(LabelOf(volume.Labels, SandboxLabels.Owner)) && !keptVolumes.Contains(volume.Name))
            {
                await RemoveContainerAndVolumeAsync(null, volume.Name, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        return doomed.Count;
    }

    /// <summary>
    /// Running run containers (including pooled ones a run took) of this installation that this instance may adopt,
    /// of one run or of all. <paramref name="orphansOnly"/> leaves out those of other service instances of this
    /// process, which may still be alive (tests host several).
    /// </summary>
    private async Task<List<ContainerListResponse>> ListSurvivorsAsync(string? runId, bool orphansOnly, CancellationToken cancellationToken)
    {
        var running = await _engine.CallAsync(
            c => c.Containers.ListContainersAsync(new ContainersListParameters { All = false, Filters = SandboxLabels.MarkerFilter(installation: _installation) }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return running
            .Where(c => IsRunSurvivor(c) && !_owned.ContainsKey(c.ID)
                && (runId is null || RunOf(c.Labels, NameOf(c)) == runId)
                && (orphansOnly ? SandboxLabels.IsOrphan(LabelOf(c.Labels, SandboxLabels.Owner)) : SandboxLabels.IsAdoptable(LabelOf(c.Labels, SandboxLabels.Owner), _owner)))
            .ToList();
    }

    private static bool IsRunSurvivor(ContainerListResponse container) =>
        string.Equals(container.State, "running", StringComparison.OrdinalIgnoreCase) && RunOf(container.Labels, NameOf(container)) is not null;

    /// <summary>The run a container belongs to: its run label, or for a pooled container its name (null while it waits in the pool).</summary>
    private static string? RunOf(IDictionary<string, string>? labels, string name) => LabelOf(labels, SandboxLabels.Run) switch
    {
        null => null,
        SandboxLabels.PoolRun => SandboxNames.RunOf(name),
        var run => run,
    };

    private static string NameOf(ContainerListResponse container) => container.Names?.FirstOrDefault()?.TrimStart('/') ?? container.ID;

    private static string? LabelOf(IDictionary<string, string>? labels, string key) =>
        labels is not null && labels.TryGetValue(key, out var value) ? value : null;

    private static bool IsContainerName(string name) =>
        char.IsAsciiLetterOrDigit(name[0]) && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-');
}
