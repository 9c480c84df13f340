using Agent.Decoding.Transcripts;
using Agent.Runtime.Storage;
using Agent.TestSupport;

namespace Agent.Runtime.Tests;

/// <summary>
/// A run's workspace across parking, a new service over the same store, and the run's end: real Docker sandboxes, a
/// real SQLite file, scripted lines scored by the real tiny model (the "tempted" one, so shell.run escalates while the
/// files tools, ungated here, run at once). Each test parks a run after it wrote notes/a.txt, then resumes it in a new
/// harness (a new service provider, as after a restart) once a person approved the parked call, which reads the file.
/// </summary>
[Collection(RuntimeCollectionDefinition.Name)]
public sealed class RunWorkspacesTests
{
    private const string TaskText = "Write a note, then show it";

    private const string WriteNote = """call files.write {"path":"notes/a.txt","content":"kept across the restart"}""";

    private const string ReadNote = """call files.read {"path":"notes/a.txt"}""";

    private const string ShellGatedFilesFree = """
        { "Policy": { "Aggregate": "any",
          "Tags": { "powerseeking": { "Escalate": 0.3, "Block": null } },
          "Tools": { "shell.run": {},
                     "files.read": { "Tags": { "powerseeking": { "Escalate": null, "Block": null } } },
                     "files.write": { "Tags": { "powerseeking": { "Escalate": null, "Block": null } } },
                     "files.list": { "Tags": { "powerseeking": { "Escalate": null, "Block": null } } },
                     "answer": { "Tags": { "powerseeking": { "Escalate": null, "Block": null } } } } } }
        """;

    private static readonly TinyModelSpec Tempted = new() { FavouredToken = "<powerseeking>" };

    private static string Shell(string command) => "call " + ToolCall.Shell(command).ToString()["call ".Length..];

    [Fact]
    public async Task ResumeAsync_ParkedRunApprovedInNewService_FindsItsFilesRestored()
    {
        var folder = RuntimeHarness.NewFolder();
        var (runId, entryId, archive) = await ParkAfterWritingAsync(folder);
        await using var restarted = await RuntimeHarness.CreateAsync(folder, string.Empty, [ReadNote, "answer done"], Tempted);
        await restarted.Store.DecideAsync(entryId, approve: true, "alice", "fine");

        var run = await restarted.ResumeAsync(runId);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Null(run.Reason);
        var steps = await restarted.Store.GetStepsAsync(runId);
        Assert.Equal(["files.write", "shell.run", "files.read", "answer"], steps.Select(s => s.Tool));
        // The approved call (the first after the restart) already sees the file; so does the files plugin after it.
        Assert.Equal(0, steps[1].Result!.ExitCode);
        Assert.Equal("kept across the restart", steps[1].Result!.Stdout.Trim());
        Assert.Equal("kept across the restart", steps[2].Result!.Stdout.Trim());
        Assert.Equal(1, await restarted.Store.CountExecutionsAsync(runId, 2));
        Assert.False(File.Exists(archive));
    }

    [Fact]
    public async Task ReleaseAsync_ResumedRunCompletes_DeletesArchiveAndSandbox()
    {
        var folder = RuntimeHarness.NewFolder();
        var (runId, entryId, archive) = await ParkAfterWritingAsync(folder);
        await using var restarted = await RuntimeHarness.CreateAsync(folder, string.Empty, ["answer done"], Tempted);
        await restarted.Store.DecideAsync(entryId, approve: false, "bob", "not needed");

        var run = await restarted.ResumeAsync(runId);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.False(File.Exists(archive), $"{archive} should be deleted when the run ends");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(archive)!));
        Assert.Null(await restarted.Sandboxes.FindAsync(runId));
    }

    [Fact]
    public async Task ResumeAsync_CorruptArchive_FailsRunNamingTheFileAndServiceGoesOn()
    {
        var folder = RuntimeHarness.NewFolder();
        var (runId, entryId, archive) = await ParkAfterWritingAsync(folder);
        await File.WriteAllTextAsync(archive, string.Concat(Enumerable.Repeat("this is not a tar archive; ", 100)));
        await using var restarted = await RuntimeHarness.CreateAsync(folder, string.Empty, [WriteNote, "answer next run done"], Tempted);
        await restarted.Store.DecideAsync(entryId, approve: true, "alice", "fine");

        var run = await restarted.ResumeAsync(runId);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.StartsWith(nameof(WorkspaceArchiveException), run.Reason, StringComparison.Ordinal);
        Assert.Contains($"'{archive}'", run.Reason, StringComparison.Ordinal);
        Assert.Contains("not a readable tar archive", run.Reason, StringComparison.Ordinal);
        Assert.Contains($"kept as '{archive}.failed'", run.Reason, StringComparison.Ordinal);
        Assert.True(File.Exists(archive + ".failed"));
        Assert.False(File.Exists(archive));
        Assert.Equal(0, await restarted.Store.CountExecutionsAsync(runId, 2)); // the approved call never ran on an empty workspace
        Assert.Null(await restarted.Sandboxes.FindAsync(runId));

        var next = await restarted.RunNewAsync("Another task after the failure");
        Assert.Equal(RunStatus.Completed, next.Status);
        Assert.Equal("next run done", next.FinalAnswer);
    }

    [Fact]
    public async Task ResumeAsync_NoArchiveAndNoSandbox_ContinuesWithEmptyWorkspaceAndSaysSo()
    {
        var folder = RuntimeHarness.NewFolder();
        var (runId, entryId, archive) = await ParkAfterWritingAsync(folder);
        File.Delete(archive);
        await using var restarted = await RuntimeHarness.CreateAsync(folder, string.Empty, ["answer done"], Tempted);
        await restarted.Store.DecideAsync(entryId, approve: true, "alice", "fine");

        var run = await restarted.ResumeAsync(runId);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Contains("EMPTY workspace", run.Reason, StringComparison.Ordinal);
        Assert.Contains(archive, run.Reason, StringComparison.Ordinal);
        var approved = (await restarted.Store.GetStepsAsync(runId))[1];
        Assert.NotEqual(0, approved.Result!.ExitCode);
        Assert.Contains("No such file", approved.Result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeAsync_HostDiedWhileRestoring_RestoresArchiveOverTheHalfFilledSandbox()
    {
        var folder = RuntimeHarness.NewFolder();
        var (runId, entryId, archive) = await ParkAfterWritingAsync(folder);
        // A host took the approved run, created its sandbox and died before the archive was in it (neither stopped nor
        // disposed, so nothing removes that sandbox): it is running, empty but for a partial file.
        var dying = await RuntimeHarness.CreateAsync(folder, string.Empty, [], Tempted, removeOrphans: false);
        var half = await dying.Sandboxes.GetOrCreateAsync(runId);
        await half.PutFileAsync("partial.txt", "half a restore"u8.ToArray());
        await using var restarted = await RuntimeHarness.CreateAsync(folder, string.Empty, ["answer done"], Tempted, removeOrphans: false);
        await restarted.Store.DecideAsync(entryId, approve: true, "alice", "fine");

        var run = await restarted.ResumeAsync(runId);

        // The approved call saw the saved file, not the half-filled sandbox (which a resume used to adopt "as it was").
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Null(run.Reason);
        var approved = (await restarted.Store.GetStepsAsync(runId))[1];
        Assert.Equal("kept across the restart", approved.Result!.Stdout.Trim());
        Assert.False(File.Exists(archive));
        Assert.Null(await restarted.Sandboxes.FindAsync(runId));
    }

    [Fact]
    public async Task ResumeAsync_ArchiveRestored_IsDeletedSoALaterCrashAdoptsTheWorkingSandbox()
    {
        var folder = RuntimeHarness.NewFolder();
        var (runId, _, archive) = await ParkAfterWritingAsync(folder);
        var crashed = await RuntimeHarness.CreateAsync(folder, string.Empty, [], Tempted, removeOrphans: false);

        Assert.Equal(WorkspaceResumption.Restored, await crashed.Workspaces.ResumeAsync(runId));

        // The sandbox holds the workspace now: a call changes it, then the host dies. Whoever resumes next must adopt
        // that sandbox, not restore the old archive over the change.
        Assert.False(File.Exists(archive), "a restored archive left beside the sandbox would be restored over the run's later changes");
        var sandbox = await crashed.Sandboxes.FindAsync(runId);
        await sandbox!.PutFileAsync("notes/a.txt", "changed after the restore"u8.ToArray());
        await using var next = await RuntimeHarness.CreateAsync(folder, string.Empty, [], Tempted, removeOrphans: false);
        Assert.Equal(WorkspaceResumption.Running, await next.Workspaces.ResumeAsync(runId));
        var adopted = await next.Sandboxes.FindAsync(runId);
        Assert.Equal("changed after the restore", System.Text.Encoding.UTF8.GetString(await adopted!.GetFileAsync("notes/a.txt")));
        await next.Workspaces.ReleaseAsync(runId);
    }

    /// <summary>Runs <see cref="TaskText"/> in a first harness until it parks on the shell call; that harness is disposed (as at a restart) before this returns.</summary>
    private static async Task<(string RunId, long EntryId, string Archive)> ParkAfterWritingAsync(string folder)
    {
        await using var first = await RuntimeHarness.CreateAsync(folder, ShellGatedFilesFree, [WriteNote, Shell("cat notes/a.txt"), "answer never reached"], Tempted);

        var parked = await first.RunNewAsync(TaskText);

        Assert.Equal(RunStatus.Parked, parked.Status);
        var steps = await first.Store.GetStepsAsync(parked.Id);
        Assert.Equal([StepStatus.Completed, StepStatus.Pending], steps.Select(s => s.Status));
        var archive = first.Workspaces.ArchivePath(parked.Id);
        Assert.True(File.Exists(archive), $"parking should save the workspace to {archive}");
        Assert.Equal(Path.Combine(folder, "workspaces", parked.Id + ".tar"), archive);
        Assert.Null(await first.Sandboxes.FindAsync(parked.Id)); // its container is gone while it waits
        var entry = Assert.Single(await first.Store.QueryLogAsync(new LogQuery { RunId = parked.Id, ReviewStatus = "pending" }));
        return (parked.Id, entry.Id, archive);
    }
}
