using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace Agent.Sandbox.Internal;

/// <summary>
/// Builds sandbox images locally through the Docker API (no registry is reachable). The build context of image
/// <c>x</c> is the folder <c>&lt;ImagesDirectory&gt;/x</c> plus the host files listed in its <c>context.host</c>
/// (binaries such as /bin/busybox stay out of git). The image carries the SHA-256 of that context as a label
/// and is rebuilt when the hash changes. A folder with a <see cref="RootfsBuilder.Script"/> is built over the root
/// filesystem that script makes (<see cref="RootfsBuilder"/>), passed to its Dockerfile as the build argument
/// <c>ROOTFS</c>. Builds of one image are serialised across processes by a lock file (<see cref="BuildLock"/>), so two
/// processes that need the image at once build it once.
/// </summary>
internal sealed class ImageBuilder(SandboxOptions options, DockerEngine engine, ILogger logger) : IDisposable
{
    public const string HostFilesManifest = "context.host";

    /// <summary>The build argument that names the base image of a folder with a <see cref="RootfsBuilder.Script"/>.</summary>
    public const string RootfsBuildArgument = "ROOTFS";

    private const int LogTailLines = 30;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, string> _current = new(StringComparer.Ordinal);
    private readonly RootfsBuilder _rootfs = new(options, engine, logger);

    public void Dispose() => _gate.Dispose();

    public string Reference(string image) => $"{options.ImageRepositoryPrefix}/{image}:latest";

    /// <summary>Makes sure the image exists and matches its context; returns its reference.</summary>
    public async Task<string> EnsureAsync(string image, bool force, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reference = Reference(image);
            if (!force && _current.ContainsKey(image))
            {
                return reference;
            }

            var directory = ImagesDirectory();
            var context = BuildContext.Load(directory, image);
            if (!force && await ImageLabels.ContextHashAsync(engine, reference, cancellationToken).ConfigureAwait(false) == context.Hash)
            {
                _current[image] = context.Hash;
                return reference;
            }

            await using var buildLock = await BuildLock.AcquireAsync(reference, () => Log.WaitingForBuild(logger, reference), cancellationToken).ConfigureAwait(false);

            // Another process may have built it while this one waited for the lock.
            if (!force && await ImageLabels.ContextHashAsync(engine, reference, cancellationToken).ConfigureAwait(false) == context.Hash)
            {
                _current[image] = context.Hash;
                return reference;
            }

            var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
            if (context.RootfsHash is { } rootfsHash)
            {
                arguments[RootfsBuildArgument] = await _rootfs.EnsureAsync(image, Path.Combine(directory, image), rootfsHash, force, cancellationToken).ConfigureAwait(false);
            }

            Log.Building(logger, reference, context.Hash[..12]);
            await BuildAsync(image, reference, context, arguments, cancellationToken).ConfigureAwait(false);
            _current[image] = context.Hash;
            return reference;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The image folder names found under the images directory.</summary>
    public IReadOnlyList<string> Available() =>
        [.. Directory.GetDirectories(ImagesDirectory())
            .Where(d => File.Exists(Path.Combine(d, "Dockerfile")))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)];

    public string ImagesDirectory()
    {
        var configured = options.ImagesDirectory;
        if (Path.IsPathRooted(configured))
        {
            return Directory.Exists(configured) ? configured : throw NotFound(configured, [configured]);
        }

        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, configured) };
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, configured));
        }

        return candidates.FirstOrDefault(Directory.Exists) ?? throw NotFound(configured, candidates);
    }

    private SandboxImageBuildException NotFound(string configured, IEnumerable<string> looked) => new(
        options.Image,
        $"the images folder '{configured}' (Sandbox:ImagesDirectory) was not found",
        "looked in: " + string.Join(", ", looked.Take(6)));

    private async Task BuildAsync(string image, string reference, BuildContext context, Dictionary<string, string> arguments, CancellationToken cancellationToken)
    {
        var log = new List<string>();
        string? error = null;
        var progress = new SynchronousProgress<JSONMessage>(message =>
        {
            lock (log)
            {
                if (!string.IsNullOrEmpty(message.Stream))
                {
                    log.AddRange(message.Stream.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                }
                else if (!string.IsNullOrEmpty(message.Status))
                {
                    log.Add(message.Status);
                }

                if (message.Error is { Message: { Length: > 0 } errorMessage })
                {
                    error ??= errorMessage;
                    log.Add("ERROR: " + errorMessage);
                }
            }
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.BuildTimeoutSeconds));
        // The labels go in as one LABEL instruction appended to the Dockerfile rather than as build parameters, which
        // the engine's builder applies one instruction (one container commit) per label: under the vfs storage driver
        // every commit copies the whole root, which for the debian image costs seconds to tens of seconds each.
        var labels = $"LABEL \"{SandboxLabels.Marker}\"=\"true\" \"{SandboxLabels.Image}\"=\"{image}\" \"{SandboxLabels.ContextHash}\"=\"{context.Hash}\"";
        using var tar = context.ToTar(labels);
        var parameters = new ImageBuildParameters
        {
            Tags = [reference],
            BuildArgs = arguments,
            NetworkMode = "none",
            Remove = true,
            ForceRemove = true,
            Pull = null,
        };
        try
        {
            await engine.CallAsync(
                c => c.Images.BuildImageFromDockerfileAsync(parameters, tar, null, null, progress, timeout.Token),
                timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxImageBuildException(image, $"it ran past Sandbox:BuildTimeoutSeconds ({options.BuildTimeoutSeconds} s)", Tail(log), e);
        }
        catch (DockerApiException e)
        {
            throw new SandboxImageBuildException(image, $"the engine refused the build ({e.StatusCode}: {e.ResponseBody?.Trim()})", Tail(log), e);
        }

        if (error is not null)
        {
            throw new SandboxImageBuildException(image, error, Tail(log));
        }

        if (await ImageLabels.ContextHashAsync(engine, reference, cancellationToken).ConfigureAwait(false) != context.Hash)
        {
            throw new SandboxImageBuildException(image, "the build ended without producing the labelled image", Tail(log));
        }

        Log.Built(logger, reference);
    }

    private static string Tail(List<string> log)
    {
        lock (log)
        {
            return string.Join(Environment.NewLine, log.TakeLast(LogTailLines));
        }
    }

    /// <summary>The files of one image's build context, in a stable order, with their hash.</summary>
    internal sealed class BuildContext
    {
        private readonly List<(string Name, string Source, UnixFileMode Mode)> _files;

        private BuildContext(List<(string Name, string Source, UnixFileMode Mode)> files, string hash, string? rootfsHash)
        {
            _files = files;
            Hash = hash;
            RootfsHash = rootfsHash;
        }

        /// <summary>SHA-256 of every file of the context, names and modes included.</summary>
        public string Hash { get; }

        /// <summary>SHA-256 of the folder's <see cref="RootfsBuilder.Script"/> alone (the root filesystem's recipe), or null when it has none.</summary>
        public string? RootfsHash { get; }

        public IReadOnlyList<string> Names => [.. _files.Select(f => f.Name)];

        public static BuildContext Load(string imagesDirectory, string image)
        {
            var root = Path.Combine(imagesDirectory, image);
            if (!File.Exists(Path.Combine(root, "Dockerfile")))
            {
                throw new SandboxImageBuildException(image, $"there is no Dockerfile in {root} (Sandbox:Image names a folder under Sandbox:ImagesDirectory)", "(no build ran)");
            }

            var files = new List<(string Name, string Source, UnixFileMode Mode)>();
            foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                var name = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (name != HostFilesManifest)
                {
                    files.Add((name, path, ModeOf(path)));
                }
            }

            var manifest = Path.Combine(root, HostFilesManifest);
            if (File.Exists(manifest))
            {
                foreach (var raw in File.ReadAllLines(manifest))
                {
                    var line = raw.Trim();
                    if (line.Length == 0 || line.StartsWith('#'))
                    {
                        continue;
                    }

                    var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length != 2 || parts[1].StartsWith('/') || parts[1].Split('/').Contains(".."))
                    {
                        throw new SandboxImageBuildException(image, $"{manifest}: line '{line}' must read '<host path> <relative context path>'", "(no build ran)");
                    }

                    if (!File.Exists(parts[0]))
                    {
                        throw new SandboxImageBuildException(
                            image,
                            $"the host file {parts[0]} named in {manifest} is missing (run `bash scripts/docker-up.sh`, which installs busybox-static)",
                            "(no build ran)");
                    }

                    files.Add((parts[1], parts[0], ModeOf(parts[0])));
                }
            }

            files.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var rootfs = files.Where(f => f.Name == RootfsBuilder.Script).ToList();
            return new BuildContext(files, HashOf(files), rootfs.Count == 0 ? null : HashOf(rootfs));
        }

        private static string HashOf(List<(string Name, string Source, UnixFileMode Mode)> files)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var (name, source, mode) in files)
            {
                sha.AppendData(Encoding.UTF8.GetBytes($"{name}\0{(int)mode}\0"));
                sha.AppendData(File.ReadAllBytes(source));
                sha.AppendData("\0"u8);
            }

            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }

        /// <summary>The context as the tar the engine builds from, with <paramref name="lastInstruction"/> appended to its Dockerfile.</summary>
        public MemoryStream ToTar(string lastInstruction)
        {
            var stream = new MemoryStream();
            using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            {
                foreach (var (name, source, mode) in _files)
                {
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
                    {
                        Mode = mode,
                        DataStream = name == "Dockerfile"
                            ? new MemoryStream([.. File.ReadAllBytes(source), .. Encoding.UTF8.GetBytes($"\n{lastInstruction}\n")])
                            : File.OpenRead(source),
                        ModificationTime = DateTimeOffset.UnixEpoch,
                    };
                    using (entry.DataStream)
                    {
                        writer.WriteEntry(entry);
                    }
                }
            }

            stream.Position = 0;
            return stream;
        }

        private static UnixFileMode ModeOf(string path) =>
            !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0
                ? (UnixFileMode)0b111_101_101
                : (UnixFileMode)0b110_100_100;
    }
}
