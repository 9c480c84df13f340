using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Net;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace Agent.Sandbox.Internal;

/// <summary>One sandbox container reached through the Docker API.</summary>
internal sealed class DockerSandbox : ISandbox
{
    // Ends every process of the sandbox user in the container except the container's own: PID 1 (docker-init), the
    // keep-alive shell and its sleep, and this script. TERM, the grace period, then KILL until none is left (exit 3
    // when some survive 50 rounds: the caller then kills the container). Why every process and not one exec's tree
    // (issue 17, finding 4): a tree cannot be told apart reliably inside the container; an environment marker is lost
    // to `env -i`, a process group or session to `setsid`, a parent link to a double fork. The keep-alive shell is
    // the earliest-started child of PID 1 (docker-init starts it before anything can exec in the container, and
    // the container ends when it ends), a property no later process can take; a name or command line could be copied.
    // Only shell builtins read /proc (read, parameter expansion), so the scan forks nothing that it would have to spare.
    // Zombies are skipped: they are dead already and PID 1 reaps them. Runs as the sandbox user, which needs no
    // capability to signal its own processes.
    private const string KillAllScript =
        "grace=$1; me=$$; uid=; " +
        "while read -r k v _; do [ \"$k\" = Uid: ] && uid=$v && break; done < /proc/self/status; " +
        "keep=; kt=; " +
        "for d in /proc/[0-9]*; do read -r s 2>/dev/null < \"$d/stat\" || continue; s=${s##*) }; set -- $s; " +
        "[ \"$2\" = 1 ] || continue; if [ -z \"$kt\" ] || [ \"${20}\" -lt \"$kt\" ]; then kt=${20}; keep=${d#/proc/}; fi; done; " +
        "k() { f=; for d in /proc/[0-9]*; do p=${d#/proc/}; " +
        "[ \"$p\" = 1 ] || [ \"$p\" = \"$me\" ] || [ \"$p\" = \"$keep\" ] && continue; " +
        "read -r s 2>/dev/null < \"$d/stat\" || continue; s=${s##*) }; set -- $s; " +
        "[ \"$1\" = Z ] || [ \"$2\" = \"$keep\" ] || [ \"$2\" = \"$me\" ] && continue; " +
        "u=; while read -r a b _; do [ \"$a\" = Uid: ] && u=$b && break; done 2>/dev/null < \"$d/status\"; " +
        "[ \"$u\" = \"$uid\" ] || continue; " +
        "kill -\"$sig\" \"$p\" 2>/dev/null && f=1; done; [ -n \"$f\" ]; }; " +
        "sig=TERM; k || exit 0; sleep \"$grace\"; sig=KILL; i=0; while k && [ $i -lt 50 ]; do i=$((i+1)); done; k && exit 3; exit 0";

    private readonly DockerEngine _engine;
    private readonly SandboxOptions _options;
    private readonly ILogger _logger;
    private readonly Func<DockerSandbox, ValueTask>? _onDispose;
    private readonly SemaphoreSlim _oomGate = new(1, 1);
    private readonly int _uid;
    private readonly int _gid;
    private long _oomKillsSeen;
    private volatile string? _deathReason;

    public DockerSandbox(
        DockerEngine engine,
        SandboxOptions options,
        ILogger logger,
        string containerId,
        string name,
        string? volumeName,
        string runId,
        Func<DockerSandbox, ValueTask>? onDispose)
    {
        _engine = engine;
        _options = options;
        _logger = logger;
        ContainerId = containerId;
        Name = name;
        VolumeName = volumeName;
        RunId = runId;
        _onDispose = onDispose;
        var user = options.User.Split(':');
        _uid = int.Parse(user[0], CultureInfo.InvariantCulture);
        _gid = user.Length > 1 ? int.Parse(user[1], CultureInfo.InvariantCulture) : _uid;
    }

    public string RunId { get; internal set; }

    public string ContainerId { get; }

    public string Name { get; internal set; }

    public string? VolumeName { get; }

    public string WorkspacePath => _options.WorkspacePath;

    public bool IsDead => _deathReason is not null;

    public async Task<SandboxExecResult> ExecAsync(SandboxExecRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfDead();
        var workingDirectory = WorkspacePaths.Combine(WorkspacePath, WorkspacePaths.Segments(request.WorkingDirectory ?? ".", allowRoot: true));
        var timeout = request.Timeout ?? TimeSpan.FromSeconds(_options.ExecTimeoutSeconds);
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(request), timeout, "SandboxExecRequest.Timeout must be positive.");
        }

        var environment = new List<string>(request.Environment.Count);
        foreach (var (key, value) in request.Environment)
        {
            if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Environment variable name '{key}' is not valid (empty, or contains '=' or NUL).", nameof(request));
            }

            environment.Add($"{key}={value}");
        }

        string[] command = [request.Command, .. request.Arguments];

        var started = Stopwatch.GetTimestamp();
        var run = await RunAsync(command, environment, workingDirectory, request.StandardInput, timeout, cancellationToken).ConfigureAwait(false);
        if (run.Stopped)
        {
            // Timeout or caller cancellation: no process the exec started may outlive the call.
            await KillAllAsync().ConfigureAwait(false);
            var partial = new SandboxExecResult(137, run.Stdout, run.Stderr, Stopwatch.GetElapsedTime(started));
            cancellationToken.ThrowIfCancellationRequested();
            throw new SandboxExecTimeoutException(request.Command, timeout, partial);
        }

        var result = new SandboxExecResult(run.ExitCode, run.Stdout, run.Stderr, Stopwatch.GetElapsedTime(started));
        if (run.ExitCode is 137 or -1)
        {
            await ThrowIfContainerStoppedAsync(cancellationToken).ConfigureAwait(false);
            if (await OomKillsIncreasedAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new SandboxOutOfMemoryException(request.Command, _options.MemoryLimitMiB, result);
            }
        }

        return result;
    }

    public async Task PutFileAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfDead();
        var segments = WorkspacePaths.Segments(path, allowRoot: false);
        if (content.Length > _options.MaxFileBytes)
        {
            throw new SandboxPathException(path, $"the content is {content.Length} bytes, over Sandbox:MaxFileBytes ({_options.MaxFileBytes})");
        }

        string[] arguments = [WorkspacePath, segments[^1], $".agent-put-{Guid.NewGuid():N}.tmp", .. segments.Take(segments.Count - 1)];
        await RunFileScriptAsync(path, WorkspaceFileScripts.Write, arguments, content, 1024, cancellationToken).ConfigureAwait(false);
    }

    public async Task<byte[]> GetFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ThrowIfDead();
        var segments = WorkspacePaths.Segments(path, allowRoot: false);
        var max = _options.MaxFileBytes.ToString(CultureInfo.InvariantCulture);
        var output = await RunFileScriptAsync(path, WorkspaceFileScripts.Read, [WorkspacePath, string.Join('/', segments), max], null, _options.MaxFileBytes + 1, cancellationToken).ConfigureAwait(false);
        if (output.TotalBytes > _options.MaxFileBytes)
        {
            throw new SandboxPathException(path, $"the file grew over Sandbox:MaxFileBytes ({_options.MaxFileBytes}) while it was read");
        }

        return output.Bytes.ToArray();
    }

    public async Task<IReadOnlyList<SandboxFileEntry>> ListFilesAsync(string path = ".", CancellationToken cancellationToken = default)
    {
        ThrowIfDead();
        var segments = WorkspacePaths.Segments(path, allowRoot: true);
        var output = await RunFileScriptAsync(path, WorkspaceFileScripts.List, [WorkspacePath, string.Join('/', segments)], null, _options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        if (output.Truncated)
        {
            throw new SandboxPathException(path, $"its listing is over {_options.MaxFileBytes} bytes (Sandbox:MaxFileBytes); list a smaller folder");
        }

        var prefix = string.Join('/', segments);
        var fields = Encoding.UTF8.GetString(output.Bytes.Span).Split('\0');
        var entries = new List<SandboxFileEntry>(fields.Length / 3);
        for (var i = 0; i + 2 < fields.Length; i += 3)
        {
            var relative = fields[i + 1].StartsWith("./", StringComparison.Ordinal) ? fields[i + 1][2..] : fields[i + 1];
            var kind = fields[i] switch
            {
                "f" => SandboxFileKind.File,
                "d" => SandboxFileKind.Directory,
                "l" => SandboxFileKind.SymbolicLink,
                _ => SandboxFileKind.Other,
            };
            entries.Add(new SandboxFileEntry(
                prefix.Length == 0 ? relative : prefix + "/" + relative,
                kind,
                kind == SandboxFileKind.File && long.TryParse(fields[i + 2], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 0,
                kind == SandboxFileKind.SymbolicLink ? fields[i + 2] : null));
        }

        return entries;
    }

    public async Task ExportWorkspaceAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ThrowIfDead();
        var archive = await FileCallAsync(
            ".",
            c => c.Containers.GetArchiveFromContainerAsync(ContainerId, new ContainerPathStatParameters { Path = WorkspacePath + "/." }, false, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        using var stream = archive.Stream;
        using var reader = new TarReader(stream ?? Stream.Null);
        var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            // copyData: each file's bytes are copied out of the engine's (unseekable, chunked) response before they are
            // written; streaming them straight through failed with EndOfStreamException. A file is at most the workspace.
            while (await reader.GetNextEntryAsync(copyData: true, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                // The engine names entries "<folder name>/<relative path>": re-root them at the workspace.
                if (WorkspaceRelative(entry.Name) is not { } name)
                {
                    continue;
                }

                var kind = entry.EntryType switch
                {
                    TarEntryType.RegularFile or TarEntryType.V7RegularFile => TarEntryType.RegularFile,
                    TarEntryType.Directory or TarEntryType.SymbolicLink or TarEntryType.HardLink => entry.EntryType,
                    _ => (TarEntryType?)null,
                };
                var linkName = entry.EntryType == TarEntryType.HardLink ? WorkspaceRelative(entry.LinkName) : entry.LinkName;
                if (kind is null || (kind == TarEntryType.HardLink && linkName is null))
                {
                    Log.ArchiveEntrySkipped(_logger, name, entry.EntryType.ToString(), Name);
                    continue;
                }

                var copy = new PaxTarEntry(kind.Value, kind == TarEntryType.Directory ? name + "/" : name)
                {
                    Mode = entry.Mode,
                    ModificationTime = entry.ModificationTime,
                    Uid = entry.Uid,
                    Gid = entry.Gid,
                };
                if (kind is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                {
                    copy.LinkName = linkName!;
                }
                else if (kind == TarEntryType.RegularFile)
                {
                    copy.DataStream = entry.DataStream;
                }

                await writer.WriteEntryAsync(copy, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task ImportWorkspaceAsync(Stream archive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ThrowIfDead();
        var capacity = _options.WorkspaceSizeMiB * 1024L * 1024L;

        // Checked and rewritten into a temporary file first, so that nothing is extracted from an archive that turns out
        // to be bad half-way, and so that the engine gets entries owned by the sandbox user under known names only.
        var temporary = new FileStream(
            Path.Combine(Path.GetTempPath(), $"agent-workspace-{Guid.NewGuid():N}.tar"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (temporary.ConfigureAwait(false))
        {
            var writer = new TarWriter(temporary, TarEntryFormat.Pax, leaveOpen: true);
            await using (writer.ConfigureAwait(false))
            {
                try
                {
                    await RewriteArchiveAsync(archive, writer, capacity, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or OverflowException or ArgumentException)
                {
                    throw new SandboxArchiveException($"it is not a readable tar archive ({e.Message})", e);
                }
            }

            temporary.Position = 0;
            try
            {
                await ExtractIntoWorkspaceAsync(".", temporary, cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxPathException e)
            {
                throw new SandboxArchiveException($"the engine could not extract it into the workspace ({e.Reason}); a workspace that is nearly full (Sandbox:WorkspaceSizeMiB) does this", e);
            }
        }
    }

    public ValueTask DisposeAsync() => _onDispose?.Invoke(this) ?? ValueTask.CompletedTask;

    /// <summary>Extracts a tar archive (names relative to the workspace) into the workspace through the engine.</summary>
    private Task<bool> ExtractIntoWorkspaceAsync(string path, Stream tar, CancellationToken cancellationToken) =>
        FileCallAsync(
            path,
            c => c.Containers.ExtractArchiveToContainerAsync(
                ContainerId,
                new CopyToContainerParameters { Path = WorkspacePath, AllowOverwriteDirWithFile = false },
                tar,
                cancellationToken),
            cancellationToken);

    /// <summary>Drops the first segment of an entry name the engine wrote ("workspace/a.txt" or "./a.txt" becomes "a.txt"); null for the folder itself.</summary>
    private static string? WorkspaceRelative(string entryName)
    {
        var name = entryName.TrimEnd('/');
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return null;
        }

        var relative = name[(slash + 1)..];
        return relative.Length == 0 || relative == "." ? null : relative;
    }

    private static IReadOnlyList<string> ArchiveSegments(string name, string what)
    {
        try
        {
            return WorkspacePaths.Segments(name, allowRoot: true);
        }
        catch (SandboxPathException e)
        {
            throw new SandboxArchiveException($"{what} '{name}' is not a path inside the workspace ({e.Reason})", e);
        }
    }

    /// <summary>Copies the entries of <paramref name="archive"/> to <paramref name="writer"/> under checked workspace-relative names, owned by the sandbox user.</summary>
    private async Task RewriteArchiveAsync(Stream archive, TarWriter writer, long capacity, CancellationToken cancellationToken)
    {
        long total = 0;
        var folders = new HashSet<string>(StringComparer.Ordinal);
        var links = new List<string>();
        using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var segments = ArchiveSegments(entry.Name, "entry");
            if (segments.Count == 0)
            {
                continue;
            }

            var name = string.Join('/', segments);
            if (links.FirstOrDefault(l => name.StartsWith(l + "/", StringComparison.Ordinal)) is { } link)
            {
                throw new SandboxArchiveException($"entry '{entry.Name}' lies below '{link}', a symbolic link of the same archive, so it could land outside the workspace");
            }

            var mode = entry.Mode & ~(UnixFileMode.SetUser | UnixFileMode.SetGroup);
            for (var i = 1; i < segments.Count; i++)
            {
                var parent = string.Join('/', segments.Take(i));
                if (folders.Add(parent))
                {
                    await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, parent + "/") { Mode = (UnixFileMode)0b111_101_101, Uid = _uid, Gid = _gid }, cancellationToken).ConfigureAwait(false);
                }
            }

            PaxTarEntry copy;
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    folders.Add(name);
                    copy = new PaxTarEntry(TarEntryType.Directory, name + "/");
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    total += entry.Length;
                    if (total > capacity)
                    {
                        throw new SandboxArchiveException(string.Create(
                            CultureInfo.InvariantCulture,
                            $"its files hold more than the workspace's {_options.WorkspaceSizeMiB} MiB (Sandbox:WorkspaceSizeMiB), at least {total} bytes; raise Sandbox:WorkspaceSizeMiB above that to restore it"));
                    }

                    copy = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = entry.DataStream };
                    break;
                case TarEntryType.SymbolicLink:
                    links.Add(name);
                    copy = new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = entry.LinkName };
                    break;
                case TarEntryType.HardLink:
                    var target = string.Join('/', ArchiveSegments(entry.LinkName, "hard link target"));
                    if (links.Any(l => target == l || target.StartsWith(l + "/", StringComparison.Ordinal)))
                    {
                        throw new SandboxArchiveException($"hard link '{entry.Name}' points through '{target}', a symbolic link of the same archive");
                    }

                    copy = new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target };
                    break;
                default:
                    Log.ArchiveEntrySkipped(_logger, name, entry.EntryType.ToString(), Name);
                    continue;
            }

            copy.Mode = mode;
            copy.ModificationTime = entry.ModificationTime;
            copy.Uid = _uid;
            copy.Gid = _gid;
            await writer.WriteEntryAsync(copy, cancellationToken).ConfigureAwait(false);
        }
    }

    internal void MarkDead(string reason) => _deathReason ??= reason;

    /// <summary>Runs a command and collects its output; never kills anything (the caller decides).</summary>
    private async Task<RunOutcome> RunAsync(
        IList<string> command,
        IList<string> environment,
        string workingDirectory,
        ReadOnlyMemory<byte>? stdin,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        int? outputCap = null)
    {
        var create = new ContainerExecCreateParameters
        {
            Cmd = command,
            Env = environment,
            WorkingDir = workingDirectory,
            User = _options.User,
            AttachStdin = stdin is not null,
            AttachStdout = true,
            AttachStderr = true,
            Privileged = false,
            TTY = false,
        };

        ContainerExecCreateResponse exec;
        try
        {
            exec = await _engine.CallAsync(c => c.Exec.CreateContainerExecAsync(ContainerId, create, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            await ThrowIfContainerStoppedAsync(cancellationToken).ConfigureAwait(false);
            throw;
        }

        var stdout = new OutputCapture(outputCap ?? _options.MaxOutputBytes);
        var stderr = new OutputCapture(_options.MaxOutputBytes);
        using var timer = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var stream = await _engine.CallAsync(
            c => c.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters { Detach = false, TTY = false }, linked.Token),
            linked.Token).ConfigureAwait(false);
        var pump = PumpAsync(stream, stdin, stdout, stderr, linked.Token);
        try
        {
            await pump.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            stream.Dispose();
            await pump.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return new RunOutcome(true, 137, stdout.ToOutput(), stderr.ToOutput());
        }
        finally
        {
            stream.Dispose();
        }

        // The stream ends when the process closes its output; the exit code follows a moment later.
        var exitCode = -1;
        for (var attempt = 0; attempt < 400; attempt++)
        {
            var inspect = await _engine.CallAsync(c => c.Exec.InspectContainerExecAsync(exec.ID, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (!inspect.Running)
            {
                exitCode = (int)(inspect.ExitCode ?? -1);
                break;
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }

        return new RunOutcome(false, exitCode, stdout.ToOutput(), stderr.ToOutput());
    }

    private static async Task PumpAsync(MultiplexedStream stream, ReadOnlyMemory<byte>? stdin, OutputCapture stdout, OutputCapture stderr, CancellationToken cancellationToken)
    {
        var writer = Task.CompletedTask;
        if (stdin is { } input)
        {
            writer = Task.Run(
                async () =>
                {
                    var bytes = input.ToArray();
                    await stream.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
                    stream.CloseWrite();
                },
                cancellationToken);
        }

        var buffer = new byte[81920];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            if (read.EOF)
            {
                break;
            }

            (read.Target == MultiplexedStream.TargetStream.StandardError ? stderr : stdout).Append(buffer.AsSpan(0, read.Count));
        }

        await writer.ConfigureAwait(false);
    }

    /// <summary>
    /// Kills every process of the sandbox user inside the sandbox but the container's own (<see cref="KillAllScript"/>)
    /// after an exec timed out or was cancelled: background processes of earlier execs and concurrent execs end too.
    /// When that is impossible (e.g. the pids limit is exhausted by a fork bomb) the container is killed instead.
    /// </summary>
    private async Task KillAllAsync()
    {
        string? failure;
        try
        {
            var grace = _options.KillGraceSeconds.ToString(CultureInfo.InvariantCulture);
            var outcome = await RunAsync(
                ["/bin/sh", "-c", KillAllScript, "kill-all", grace],
                [],
                WorkspacePath,
                null,
                TimeSpan.FromSeconds(_options.KillGraceSeconds + 10),
                CancellationToken.None).ConfigureAwait(false);
            failure = outcome.Stopped ? "the kill script itself timed out"
                : outcome.ExitCode == 0 ? null
                : $"the kill script ended with {outcome.ExitCode}: {outcome.Stderr.Text.Trim()}";
        }
        catch (Exception e) when (e is DockerApiException or SandboxException)
        {
            failure = e.Message;
        }

        if (failure is null)
        {
            return;
        }

        Log.KillTreeFailed(_logger, Name, failure);
        MarkDead($"killed after an exec timeout because its process tree could not be stopped inside the container ({failure}); a fork bomb exhausting Sandbox:PidsLimit does this");
        try
        {
            await _engine.CallAsync(c => c.Containers.KillContainerAsync(ContainerId, new ContainerKillParameters { Signal = "KILL" }, CancellationToken.None), CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            Log.KillFailed(_logger, e, Name);
        }
    }

    /// <summary>True when the sandbox's memory cgroup recorded an OOM kill since the last check (cgroup v1 or v2).</summary>
    private async Task<bool> OomKillsIncreasedAsync(CancellationToken cancellationToken)
    {
        await _oomGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = await RunAsync(
                ["cat", "/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"],
                [],
                WorkspacePath,
                null,
                TimeSpan.FromSeconds(10),
                cancellationToken).ConfigureAwait(false);
            long kills = 0;
            foreach (var line in outcome.Stdout.Text.Split('\n'))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == "oom_kill" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    kills = Math.Max(kills, n);
                }
            }

            var increased = kills > _oomKillsSeen;
            _oomKillsSeen = kills;
            return increased;
        }
        catch (Exception e) when (e is DockerApiException or SandboxException)
        {
            Log.OomCounterFailed(_logger, e, Name);
            return false;
        }
        finally
        {
            _oomGate.Release();
        }
    }

    private void ThrowIfDead()
    {
        if (_deathReason is { } reason)
        {
            throw new SandboxContainerDiedException(ContainerId, reason);
        }
    }

    private async Task ThrowIfContainerStoppedAsync(CancellationToken cancellationToken)
    {
        ContainerInspectResponse inspect;
        try
        {
            inspect = await _engine.CallAsync(c => c.Containers.InspectContainerAsync(ContainerId, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            MarkDead("the container was removed");
            throw new SandboxContainerDiedException(ContainerId, _deathReason!);
        }

        if (inspect.State is { Running: true })
        {
            return;
        }

        var state = inspect.State;
        var reason = state is null ? "unknown state"
            : state.OOMKilled ? $"OOM-killed (over Sandbox:MemoryLimitMiB = {_options.MemoryLimitMiB} MiB), exit code {state.ExitCode}"
            : $"{state.Status}, exit code {state.ExitCode}{(string.IsNullOrEmpty(state.Error) ? "" : ", " + state.Error)}";
        MarkDead(reason);
        throw new SandboxContainerDiedException(ContainerId, _deathReason!);
    }

    /// <summary>
    /// Runs one of <see cref="WorkspaceFileScripts"/> inside the sandbox as the sandbox user and returns its stdout;
    /// a refusal of the script becomes a <see cref="SandboxPathException"/> with the script's reason.
    /// </summary>
    private async Task<SandboxOutput> RunFileScriptAsync(string path, string script, IEnumerable<string> arguments, ReadOnlyMemory<byte>? stdin, int outputCap, CancellationToken cancellationToken)
    {
        var seconds = _options.ExecTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        var run = await RunAsync(
            ["timeout", "-s", "KILL", seconds, "/bin/sh", "-c", script, "file-op", .. arguments],
            [],
            WorkspacePath,
            stdin,
            TimeSpan.FromSeconds(_options.ExecTimeoutSeconds + 10),
            cancellationToken,
            outputCap).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (run.Stopped || run.ExitCode is 137 or -1)
        {
            await ThrowIfContainerStoppedAsync(cancellationToken).ConfigureAwait(false);
            throw new SandboxPathException(path, $"the file operation did not finish within Sandbox:ExecTimeoutSeconds ({seconds} s); a fifo or a very slow file does this");
        }

        if (run.ExitCode == 0)
        {
            return run.Stdout;
        }

        var reason = run.Stderr.Text.Trim();
        throw new SandboxPathException(path, reason.Length > 0 ? reason : string.Create(CultureInfo.InvariantCulture, $"the file operation failed inside the sandbox with exit code {run.ExitCode}"));
    }

    private async Task<T> FileCallAsync<T>(string path, Func<DockerClient, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await _engine.CallAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.BadRequest or HttpStatusCode.Forbidden or HttpStatusCode.InternalServerError)
        {
            await ThrowIfContainerStoppedAsync(cancellationToken).ConfigureAwait(false);
            throw new SandboxPathException(path, $"the engine refused the copy ({e.StatusCode}: {e.ResponseBody?.Trim()})");
        }
    }

    private Task<bool> FileCallAsync(string path, Func<DockerClient, Task> call, CancellationToken cancellationToken) =>
        FileCallAsync(
            path,
            async c =>
            {
                await call(c).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    private readonly record struct RunOutcome(bool Stopped, int ExitCode, SandboxOutput Stdout, SandboxOutput Stderr);
}
