namespace Agent.Sandbox;

/// <summary>
/// The <c>Sandbox</c> section of appsettings.json: how sandboxes reach the Docker engine and the isolation every
/// sandbox container gets. Every value is checked when the host starts (see <see cref="Validate"/>); a bad value
/// fails start-up with a message that names its key.
/// </summary>
public sealed class SandboxOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Sandbox";

    /// <summary>Docker engine endpoint, <c>unix:///path/to/docker.sock</c> or <c>tcp://host:port</c>.</summary>
    public string DockerEndpoint { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>
    /// The engine API version to speak (Debian's docker.io 20.10 serves 1.41). The service negotiates down to the
    /// daemon's maximum when the daemon is older, and refuses a daemon that cannot serve <see cref="MinimumApiVersion"/>.
    /// </summary>
    public string ApiVersion { get; set; } = "1.41";

    /// <summary>Seconds to wait for the daemon to answer before it counts as unreachable.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>Folder holding <c>&lt;image&gt;/Dockerfile</c>; a relative path is looked up next to the executable, then in the current directory and its parents.</summary>
    public string ImagesDirectory { get; set; } = "sandboxes";

    /// <summary>The sandbox image (a folder name under <see cref="ImagesDirectory"/>) new sandboxes run.</summary>
    public string Image { get; set; } = "default";

    /// <summary>Repository prefix of the locally built images: <c>&lt;prefix&gt;/&lt;image&gt;:latest</c>.</summary>
    public string ImageRepositoryPrefix { get; set; } = "agent-sandbox";

    /// <summary>Seconds an image build may take.</summary>
    public int BuildTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// Seconds the <c>rootfs.sh</c> of an image folder (the <c>debian</c> image's debootstrap from Debian's archive) may
    /// take to write the image's root filesystem; it runs once per change of the script.
    /// </summary>
    public int RootBuildTimeoutSeconds { get; set; } = 1200;

    /// <summary>Container network: <c>none</c> (the default: loopback only) or the name of a user-defined network; <c>host</c> and <c>container:*</c> are refused.</summary>
    public string NetworkMode { get; set; } = "none";

    /// <summary>Memory limit of a sandbox in MiB (the workspace tmpfs counts against it).</summary>
    public int MemoryLimitMiB { get; set; } = 256;

    /// <summary>Memory plus swap limit in MiB; equal to <see cref="MemoryLimitMiB"/> means no swap.</summary>
    public int MemorySwapLimitMiB { get; set; } = 256;

    /// <summary>CPU quota in CPUs (0.5 = half a core).</summary>
    public double Cpus { get; set; } = 1.0;

    /// <summary>Maximum number of processes and threads in a sandbox (stops fork bombs).</summary>
    public int PidsLimit { get; set; } = 128;

    /// <summary>Mount the image's root filesystem read-only (only the workspace and <c>/tmp</c> are writable).</summary>
    public bool ReadOnlyRootFilesystem { get; set; } = true;

    /// <summary>Numeric <c>uid:gid</c> every sandbox process runs as; uid 0, gid 0 and the group owning the engine's socket are refused.</summary>
    public string User { get; set; } = "1000:1000";

    /// <summary>Absolute path of the writable workspace inside the sandbox; it is the working directory of every exec.</summary>
    public string WorkspacePath { get; set; } = "/workspace";

    /// <summary>Size of the workspace (a tmpfs-backed volume) in MiB.</summary>
    public int WorkspaceSizeMiB { get; set; } = 64;

    /// <summary>Size of the <c>/tmp</c> tmpfs in MiB.</summary>
    public int TmpSizeMiB { get; set; } = 16;

    /// <summary>The only host paths a sandbox sees, each mounted read-only. Empty by default.</summary>
    public IList<SandboxMount> ReadOnlyMounts { get; } = [];

    /// <summary>Started containers kept ready so that a run's first tool call does not wait for a container start. 0 disables the pool.</summary>
    public int WarmPoolSize { get; set; } = 1;

    /// <summary>Default per-exec timeout in seconds; when it passes, every process of the sandbox user (background ones of earlier execs too) is killed, the container's own excepted.</summary>
    public int ExecTimeoutSeconds { get; set; } = 30;

    /// <summary>Seconds between SIGTERM and SIGKILL when an exec times out.</summary>
    public int KillGraceSeconds { get; set; } = 2;

    /// <summary>Bytes of stdout and of stderr kept per exec; the rest is counted, dropped and reported as truncated.</summary>
    public int MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest file <see cref="ISandbox.PutFileAsync"/> writes or <see cref="ISandbox.GetFileAsync"/> returns, in bytes.</summary>
    public int MaxFileBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Remove, at start, the sandboxes this installation's earlier processes left and that are gone, except the running
    /// sandbox of a run (a process killed with SIGKILL never removed it): that one holds the run's latest workspace and
    /// is kept for the run to adopt when it resumes (<see cref="ISandboxService.FindAsync"/>); <c>agent serve</c>
    /// settles the rest at start and <c>agent sandbox clean</c> removes all of this installation's. Live processes'
    /// and other installations' sandboxes are never touched.
    /// </summary>
    public bool RemoveOrphansOnStart { get; set; } = true;

    /// <summary>The oldest engine API version this library works with.</summary>
    public static Version MinimumApiVersion { get; } = new(1, 40);

    /// <summary>Checks every value and returns one message per bad key (empty when all are valid).</summary>
    /// <returns>The problems found, each naming its <c>Sandbox:</c> key.</returns>
    public IReadOnlyList<string> Validate() => Internal.SandboxOptionsValidator.Check(this);
}
