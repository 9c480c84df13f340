using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Agent.Sandbox.Internal;

/// <summary>Validates <see cref="SandboxOptions"/> at host start; each message names the <c>Sandbox:</c> key at fault.</summary>
internal sealed partial class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        var problems = Check(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    internal static List<string> Check(SandboxOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var problems = new List<string>();
        void Fail(string key, string message) => problems.Add($"{SandboxOptions.SectionName}:{key} {message}");
        void Range(string key, double value, double min, double max)
        {
            if (double.IsNaN(value) || value < min || value > max)
            {
                Fail(key, string.Create(CultureInfo.InvariantCulture, $"must be between {min} and {max} (was {value})."));
            }
        }

        if (!Uri.TryCreate(o.DockerEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("unix" or "tcp" or "http" or "https"))
        {
            Fail(nameof(o.DockerEndpoint), $"must be unix:///path/to/docker.sock or tcp://host:port (was '{o.DockerEndpoint}').");
        }

        if (!Version.TryParse(o.ApiVersion, out var api) || api < SandboxOptions.MinimumApiVersion)
        {
            Fail(nameof(o.ApiVersion), $"must be a version like 1.41, at least {SandboxOptions.MinimumApiVersion} (was '{o.ApiVersion}').");
        }

        Range(nameof(o.ConnectTimeoutSeconds), o.ConnectTimeoutSeconds, 1, 300);
        if (string.IsNullOrWhiteSpace(o.ImagesDirectory))
        {
            Fail(nameof(o.ImagesDirectory), "must name the folder that holds <image>/Dockerfile (e.g. 'sandboxes').");
        }

        if (!ImageName().IsMatch(o.Image ?? ""))
        {
            Fail(nameof(o.Image), $"must be a lower-case folder name under {nameof(o.ImagesDirectory)} (was '{o.Image}').");
        }

        if (!RepositoryPrefix().IsMatch(o.ImageRepositoryPrefix ?? ""))
        {
            Fail(nameof(o.ImageRepositoryPrefix), $"must be a lower-case image repository name (was '{o.ImageRepositoryPrefix}').");
        }

        Range(nameof(o.BuildTimeoutSeconds), o.BuildTimeoutSeconds, 10, 3600);
        Range(nameof(o.RootBuildTimeoutSeconds), o.RootBuildTimeoutSeconds, 60, 7200);
        CheckNetworkMode(o.NetworkMode, message => Fail(nameof(o.NetworkMode), message));

        Range(nameof(o.MemoryLimitMiB), o.MemoryLimitMiB, 16, 1024 * 1024);
        if (o.MemorySwapLimitMiB < o.MemoryLimitMiB)
        {
            Fail(nameof(o.MemorySwapLimitMiB), $"is memory plus swap and must be at least MemoryLimitMiB ({o.MemoryLimitMiB}); equal means no swap (was {o.MemorySwapLimitMiB}).");
        }

        Range(nameof(o.Cpus), o.Cpus, 0.01, 1024);
        Range(nameof(o.PidsLimit), o.PidsLimit, 8, 65536);
        var sockets = EngineSockets(o.DockerEndpoint);
        var user = UserPattern().Match(o.User ?? "");
        if (!user.Success)
        {
            Fail(nameof(o.User), $"must be a numeric uid:gid such as 1000:1000 (was '{o.User}').");
        }
        else if (uint.Parse(user.Groups["uid"].Value, CultureInfo.InvariantCulture) == 0)
        {
            Fail(nameof(o.User), "must not be root (uid 0): sandboxes run unprivileged.");
        }
        else if (!user.Groups["gid"].Success)
        {
            Fail(nameof(o.User), $"must name the group too, as uid:gid such as {user.Groups["uid"].Value}:{user.Groups["uid"].Value} (was '{o.User}'): for a bare uid Docker takes the group from the image, and root's group 0 when the image does not know the uid.");
        }
        else if (uint.Parse(user.Groups["gid"].Value, CultureInfo.InvariantCulture) is var gid && gid == 0)
        {
            Fail(nameof(o.User), $"must not use root's group (gid 0) (was '{o.User}'): choose the sandbox user's own group, such as 1000:1000.");
        }
        else if (sockets.FirstOrDefault(s => s.Group == gid) is { Path: not null } socket)
        {
            Fail(nameof(o.User), $"must not use group {gid}, which owns the Docker engine's socket {socket.Path}: a sandbox in that group can talk to the engine, which is root on the host (was '{o.User}'). Choose another group, such as 1000:1000.");
        }

        if (!IsCleanAbsolute(o.WorkspacePath) || o.WorkspacePath == "/" || IsSystemPath(o.WorkspacePath))
        {
            Fail(nameof(o.WorkspacePath), $"must be an absolute, normalised path such as /workspace, not / or a system folder (was '{o.WorkspacePath}').");
        }

        Range(nameof(o.WorkspaceSizeMiB), o.WorkspaceSizeMiB, 1, 1024 * 1024);
        Range(nameof(o.TmpSizeMiB), o.TmpSizeMiB, 1, 1024 * 1024);
        for (var i = 0; i < o.ReadOnlyMounts.Count; i++)
        {
            var mount = o.ReadOnlyMounts[i];
            var key = $"{nameof(o.ReadOnlyMounts)}:{i}";
            if (!IsCleanAbsolute(mount.HostPath) || mount.HostPath == "/")
            {
                Fail($"{key}:{nameof(mount.HostPath)}", $"must be an absolute host path other than / (was '{mount.HostPath}').");
            }
            else if (!File.Exists(mount.HostPath) && !Directory.Exists(mount.HostPath))
            {
                Fail($"{key}:{nameof(mount.HostPath)}", $"does not exist on this host ('{mount.HostPath}').");
            }
            else if (HostPaths.Resolve(mount.HostPath) is var real && sockets.FirstOrDefault(s => HostPaths.IsWithin(s.Resolved, real)) is { Path: not null } exposed)
            {
                Fail(
                    $"{key}:{nameof(mount.HostPath)}",
                    $"must not expose the Docker engine's socket, which is root on the host: '{mount.HostPath}'{(real == mount.HostPath ? "" : $" (that is '{real}')")} holds {exposed.Path}{(exposed.Path == exposed.Resolved ? "" : $" (that is '{exposed.Resolved}')")}. Mount a folder that does not contain it.");
            }

            if (!IsCleanAbsolute(mount.ContainerPath) || mount.ContainerPath == "/" || IsSystemPath(mount.ContainerPath)
                || IsUnder(mount.ContainerPath, o.WorkspacePath) || IsUnder(o.WorkspacePath, mount.ContainerPath))
            {
                Fail($"{key}:{nameof(mount.ContainerPath)}", $"must be an absolute path outside the workspace and outside /proc, /sys, /dev (was '{mount.ContainerPath}').");
            }
        }

        Range(nameof(o.WarmPoolSize), o.WarmPoolSize, 0, 64);
        Range(nameof(o.ExecTimeoutSeconds), o.ExecTimeoutSeconds, 1, 24 * 3600);
        Range(nameof(o.KillGraceSeconds), o.KillGraceSeconds, 0, 60);
        Range(nameof(o.MaxOutputBytes), o.MaxOutputBytes, 1024, 256 * 1024 * 1024);
        Range(nameof(o.MaxFileBytes), o.MaxFileBytes, 1024, 1024 * 1024 * 1024);
        return problems;
    }

    /// <summary>
    /// Network names are compared without regard to case where a differently cased spelling would still mean, or be
    /// mistaken for, a special mode (HOST, Bridge, Container:x are refused like host, bridge, container:x), and a name
    /// with spaces around it is refused rather than trimmed: to Docker it is another network, and a value that does not
    /// say what it means should be corrected where it was written. 'none' is the only spelling of no network.
    /// </summary>
    private static void CheckNetworkMode(string? network, Action<string> fail)
    {
        if (string.IsNullOrWhiteSpace(network))
        {
            fail("must be 'none' or the name of a user-defined network (was empty).");
        }
        else if (network != network.Trim())
        {
            fail($"must not start or end with spaces (was '{network}'); write '{network.Trim()}'.");
        }
        else if (network.Equals("host", StringComparison.OrdinalIgnoreCase) || network.Equals("bridge", StringComparison.OrdinalIgnoreCase)
            || network.Equals("default", StringComparison.OrdinalIgnoreCase) || network.StartsWith("container:", StringComparison.OrdinalIgnoreCase))
        {
            fail($"must be 'none' or a user-defined network; 'host', 'bridge', 'default' and 'container:*' are refused in any case (was '{network}').");
        }
        else if (network.Equals("none", StringComparison.OrdinalIgnoreCase) && network != "none")
        {
            fail($"must be written 'none' in lower case for no network (was '{network}'): Docker would look for a user-defined network of that name.");
        }
    }

    /// <summary>
    /// The engine sockets a sandbox must never reach: the one <c>Sandbox:DockerEndpoint</c> names (unix://), Docker's
    /// default paths and containerd's, each with its path after every link is resolved and the group that owns it
    /// (null when it does not exist here). Docker gives a container no supplementary groups unless HostConfig.GroupAdd
    /// asks (this library never sets it) or the image's /etc/group lists the user in one, so the configured gid is the
    /// group that counts; an image's own /etc/group is the image author's to keep clean.
    /// </summary>
    private static List<(string Path, string Resolved, uint? Group)> EngineSockets(string? endpoint)
    {
        var paths = new List<string> { "/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock" };
        if (Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme == "unix" && uri.AbsolutePath.Length > 1)
        {
            paths.Insert(0, Uri.UnescapeDataString(uri.AbsolutePath));
        }

        return paths.Distinct(StringComparer.Ordinal).Select(p => (p, HostPaths.Resolve(p), Native.LibC.GroupOf(p))).ToList();
    }

    private static bool IsCleanAbsolute(string? path) =>
        !string.IsNullOrEmpty(path) && path[0] == '/' && !path.Contains('\0', StringComparison.Ordinal)
        && (path == "/" || !path.EndsWith('/'))
        && path.Split('/').Skip(1).All(segment => segment.Length > 0 && segment != "." && segment != "..");

    private static bool IsSystemPath(string path) =>
        SystemPaths.Any(system => IsUnder(path, system));

    private static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static readonly string[] SystemPaths = ["/proc", "/sys", "/dev", "/etc", "/bin", "/sbin", "/usr", "/lib"];

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]*$")]
    private static partial Regex ImageName();

    [GeneratedRegex("^[a-z0-9]+([._/-][a-z0-9]+)*$")]
    private static partial Regex RepositoryPrefix();

    [GeneratedRegex("^(?<uid>[0-9]{1,9})(:(?<gid>[0-9]{1,9}))?$")]
    private static partial Regex UserPattern();
}
