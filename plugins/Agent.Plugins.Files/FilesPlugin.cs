using System.ComponentModel;
using System.Globalization;
using System.Text;
using Agent.Sandbox;
using Microsoft.SemanticKernel;

namespace Agent.Plugins.Files;

/// <summary>
/// The <c>files</c> plugin: <c>files.read</c>, <c>files.write</c> and <c>files.list</c> inside the run's sandbox
/// workspace. Paths are relative to the workspace; an absolute path inside it (e.g. <c>/workspace/a.txt</c>) is
/// accepted; anything outside it is refused by the sandbox.
/// </summary>
public sealed class FilesPlugin
{
    /// <summary>The plugin name in transcripts (<c>files.read</c> ...).</summary>
    public const string Name = "files";

    private readonly ISandboxService _sandboxes;
    private readonly string _runId;
    private readonly string _workspace;

    /// <summary>Creates the plugin of one run.</summary>
    public FilesPlugin(ISandboxService sandboxes, string runId, string workspacePath = "/workspace")
    {
        ArgumentNullException.ThrowIfNull(sandboxes);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        _sandboxes = sandboxes;
        _runId = runId;
        _workspace = workspacePath.TrimEnd('/');
    }

    /// <summary>Reads a UTF-8 text file.</summary>
    /// <exception cref="SandboxPathException">The path is outside the workspace, missing or too large.</exception>
    [KernelFunction("read"), Description("Read a text file from the sandbox workspace.")]
    public async Task<string> ReadAsync([Description("File path relative to the workspace.")] string path, CancellationToken cancellationToken = default)
    {
        var sandbox = await _sandboxes.GetOrCreateAsync(_runId, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(await sandbox.GetFileAsync(Relative(path), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Writes a UTF-8 text file, creating its folders.</summary>
    /// <exception cref="SandboxPathException">The path is outside the workspace or the content is too large.</exception>
    [KernelFunction("write"), Description("Write a text file in the sandbox workspace (replacing it).")]
    public async Task<string> WriteAsync(
        [Description("File path relative to the workspace.")] string path,
        [Description("The full new content.")] string content,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var sandbox = await _sandboxes.GetOrCreateAsync(_runId, cancellationToken).ConfigureAwait(false);
        var bytes = Encoding.UTF8.GetBytes(content);
        await sandbox.PutFileAsync(Relative(path), bytes, cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"wrote {bytes.Length} bytes to {Relative(path)}");
    }

    /// <summary>Lists a folder recursively, one entry a line: kind, size, path.</summary>
    /// <exception cref="SandboxPathException">The path is outside the workspace or missing.</exception>
    [KernelFunction("list"), Description("List a folder of the sandbox workspace recursively.")]
    public async Task<string> ListAsync([Description("Folder relative to the workspace; '.' is the workspace.")] string path, CancellationToken cancellationToken = default)
    {
        var sandbox = await _sandboxes.GetOrCreateAsync(_runId, cancellationToken).ConfigureAwait(false);
        var entries = await sandbox.ListFilesAsync(Relative(path), cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        foreach (var entry in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{entry.Kind.ToString().ToLowerInvariant()} {entry.Size} {entry.Path}").Append('\n');
        }

        return text.ToString().TrimEnd('\n');
    }

    private string Relative(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("'path' is empty: give a path relative to the workspace, e.g. 'notes.txt'.", nameof(path));
        }

        if (path == _workspace)
        {
            return ".";
        }

        return path.StartsWith(_workspace + "/", StringComparison.Ordinal) ? path[(_workspace.Length + 1)..] : path;
    }
}
