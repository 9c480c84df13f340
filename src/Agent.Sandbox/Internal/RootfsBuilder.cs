using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using Agent.Sandbox.Native;
using Microsoft.Extensions.Logging;

namespace Agent.Sandbox.Internal;

/// <summary>
/// Makes the base image of a sandbox image whose folder holds <see cref="Script"/>: runs that script on the host to
/// write a root filesystem tar, and imports the tar through the engine (<c>docker import</c>) as
/// <c>&lt;prefix&gt;/&lt;image&gt;-rootfs:latest</c>, labelled with the script's hash. The image's Dockerfile builds
/// over it (<c>ARG ROOTFS</c> / <c>FROM ${ROOTFS}</c>).
/// </summary>
/// <remarks>
/// Decision: no registry is reachable, so a distribution root cannot be pulled; it is made from Debian's archive by
/// debootstrap on the host (the engine's build containers have no network), once, and cached in the engine like any
/// image. The script is the recipe (suite, packages): only a change to it, or <c>--force</c>, rebuilds the root.
/// </remarks>
internal sealed class RootfsBuilder(SandboxOptions options, DockerEngine engine, ILogger logger)
{
    /// <summary>The script in an image folder that writes the image's root filesystem tar (its only argument: the tar's path).</summary>
    public const string Script = "rootfs.sh";

    private const int LogTailLines = 30;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    public string Reference(string image) => $"{options.ImageRepositoryPrefix}/{image}-rootfs:latest";

    /// <summary>Returns the root image's reference, building it when it is missing, stale or <paramref name="force"/>d.</summary>
    /// <exception cref="SandboxImageBuildException">The script failed, ran too long, or the engine refused the import.</exception>
    public async Task<string> EnsureAsync(string image, string imageDirectory, string hash, bool force, CancellationToken cancellationToken)
    {
        var reference = Reference(image);
        if (!force && await ImageLabels.ContextHashAsync(engine, reference, cancellationToken).ConfigureAwait(false) == hash)
        {
            return reference;
        }

        var script = Path.Combine(imageDirectory, Script);
        var work = Directory.CreateTempSubdirectory("agent-rootfs-");
        var tar = Path.Combine(work.FullName, "rootfs.tar");
        try
        {
            var clock = Stopwatch.StartNew();
            Log.BuildingRootfs(logger, reference, script, hash[..12], options.RootBuildTimeoutSeconds);
            await RunScriptAsync(image, script, tar, cancellationToken).ConfigureAwait(false);
            var mib = new FileInfo(tar).Length / (1024.0 * 1024.0);
            await ImportAsync(image, reference, tar, hash, cancellationToken).ConfigureAwait(false);
            Log.BuiltRootfs(logger, reference, clock.Elapsed.TotalSeconds, mib);
            return reference;
        }
        finally
        {
            File.Delete(tar);
            try
            {
                // Not recursive: the script removes its own work folder; one it left (it was killed) may have
                // debootstrap's /proc, /sys or /dev mounts below it, which a recursive delete must not walk into.
                work.Delete(recursive: false);
            }
            catch (IOException)
            {
                Log.RootfsLeftovers(logger, reference, work.FullName);
            }
        }
    }

    private async Task RunScriptAsync(string image, string script, string tar, CancellationToken cancellationToken)
    {
        // A cancellation, a timeout or this process's exit ends the script and everything below it with SIGTERM
        // (ProcessTree), so that its trap unmounts what debootstrap mounted and removes its work folder.
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { script, tar },
            WorkingDirectory = Path.GetDirectoryName(script)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SandboxImageBuildException(image, $"bash could not be started to run {script} ({e.Message})", "(no build ran)", e);
        }

        var root = process.Id;
        EventHandler stopOnExit = (_, _) => ProcessTree.Signal(root, LibC.SigTerm);
        AppDomain.CurrentDomain.ProcessExit += stopOnExit;
        try
        {
            await WaitAsync(image, script, tar, process, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= stopOnExit;
        }
    }

    private async Task WaitAsync(string image, string script, string tar, Process process, CancellationToken cancellationToken)
    {
        var tail = new LogTail(LogTailLines);

        process.StandardInput.Close();
        var phase = new PhaseReporter(logger, Reference(image));
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput, tail, phase),
            PumpAsync(process.StandardError, tail, phase));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.RootBuildTimeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            await pumps.ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            // debootstrap and its children must not outlive the build they belong to.
            await StopAsync(process).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new SandboxImageBuildException(image, $"{script} ran past Sandbox:RootBuildTimeoutSeconds ({options.RootBuildTimeoutSeconds} s)", tail.Text, e);
        }

        if (process.ExitCode != 0)
        {
            throw new SandboxImageBuildException(image, $"{script} exited with code {process.ExitCode}: {tail.Last}", tail.Text);
        }

        if (!File.Exists(tar) || new FileInfo(tar).Length == 0)
        {
            throw new SandboxImageBuildException(image, $"{script} exited 0 but wrote no root filesystem tar", tail.Text);
        }
    }

    /// <summary>SIGTERM to the script and everything below it, then SIGKILL to what is left after a grace period.</summary>
    private static async Task StopAsync(Process process)
    {
        ProcessTree.Signal(process.Id, LibC.SigTerm);
        using var grace = new CancellationTokenSource(StopGrace);
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task PumpAsync(StreamReader reader, LogTail tail, PhaseReporter phase)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            tail.Add(line);
            phase.Report(line);
        }
    }

    private async Task ImportAsync(string image, string reference, string tar, string hash, CancellationToken cancellationToken)
    {
        var colon = reference.LastIndexOf(':');
        var parameters = new ImagesCreateParameters
        {
            FromSrc = "-",
            Repo = reference[..colon],
            Tag = reference[(colon + 1)..],
            Changes =
            [
                $"LABEL {SandboxLabels.Marker}=true {SandboxLabels.Image}={image}-rootfs {SandboxLabels.ContextHash}={hash}",
            ],
        };
        string? error = null;
        var progress = new SynchronousProgress<JSONMessage>(m => error ??= m.Error?.Message is { Length: > 0 } message ? message : null);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.BuildTimeoutSeconds));
        try
        {
            await using var stream = File.OpenRead(tar);
            await engine.CallAsync(
                async c =>
                {
                    await c.Images.CreateImageAsync(parameters, stream, null, progress, timeout.Token).ConfigureAwait(false);
                    return true;
                },
                timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxImageBuildException(image, $"importing the root filesystem ran past Sandbox:BuildTimeoutSeconds ({options.BuildTimeoutSeconds} s)", "(import)", e);
        }
        catch (DockerApiException e)
        {
            throw new SandboxImageBuildException(image, $"the engine refused to import the root filesystem ({e.StatusCode}: {e.ResponseBody?.Trim()})", "(import)", e);
        }

        if (error is not null || await ImageLabels.ContextHashAsync(engine, reference, cancellationToken).ConfigureAwait(false) != hash)
        {
            throw new SandboxImageBuildException(image, $"importing the root filesystem did not produce the labelled image {reference}{(error is null ? "" : ": " + error)}", "(import)");
        }
    }

    /// <summary>The last lines a script wrote, for the error message.</summary>
    private sealed class LogTail(int capacity)
    {
        private readonly Queue<string> _lines = new();

        public string Text
        {
            get
            {
                lock (_lines)
                {
                    return string.Join(Environment.NewLine, _lines);
                }
            }
        }

        public string Last
        {
            get
            {
                lock (_lines)
                {
                    return _lines.LastOrDefault(l => l.Length > 0) ?? "(it wrote nothing)";
                }
            }
        }

        public void Add(string line)
        {
            lock (_lines)
            {
                _lines.Enqueue(line);
                while (_lines.Count > capacity)
                {
                    _lines.Dequeue();
                }
            }
        }
    }

    /// <summary>
    /// The progress lines of a root build: debootstrap writes one "I: Verb ..." line per package and step; one line
    /// is logged each time the verb changes (Retrieving, Extracting, Installing, Unpacking, Configuring...), about
    /// twenty for the debian image. Validating alternates with Retrieving package by package, so it counts as Retrieving.
    /// </summary>
    private sealed class PhaseReporter(ILogger logger, string reference)
    {
        private readonly Lock _sync = new();
        private string? _verb;

        public void Report(string line)
        {
            if (!line.StartsWith("I: ", StringComparison.Ordinal))
            {
                return;
            }

            var verb = line[3..].Split(' ', 2)[0] switch
            {
                "Validating" => "Retrieving",
                var other => other,
            };
            lock (_sync)
            {
                if (verb == _verb)
                {
                    return;
                }

                _verb = verb;
            }

            Log.RootfsProgress(logger, reference, line[3..]);
        }
    }
}
