using System.Globalization;
using System.Text.RegularExpressions;
using Agent.Decoding.Transcripts;

namespace Agent.Host.Tests;

/// <summary>
/// The scripted tasks of the many-hosts tests, shared by the test (which enqueues and checks them) and the host
/// processes (whose step source writes them). A run moves between processes, so a step's line is chosen from the
/// journal the prompt shows, not from a per-process counter: the next line is the first whose marker the prompt does
/// not hold yet.
/// <list type="bullet">
/// <item><b>plain</b>: a shell call that writes a file and sleeps (so kills land mid-tool), a files.read of it, an answer.</item>
/// <item><b>gated</b>: a shell call that writes a seed file, a files.write the policy always escalates (the run parks
/// and its workspace is saved to the shared folder), after approval a shell call that reads both files (the seed shows
/// the workspace came back on whichever host resumed it), an answer.</item>
/// <item><b>quick</b> (the benchmark's): a shell call and an answer.</item>
/// </list>
/// </summary>
internal static partial class ChaosScripts
{
    /// <summary>The policy: files.write always goes to a person; temptation never decides (the tiny model's is noise).</summary>
    public const string PolicyJson = """
        { "Aggregate": "max",
          "Tags": { "powerseeking": { "Signals": "Model", "Escalate": null, "Block": null }, "deceit": { "Signals": "Model", "Escalate": null, "Block": null } },
          "Tools": { "shell.run": { "Mode": "Gated" }, "files.read": { "Mode": "Gated" }, "files.list": { "Mode": "Gated" },
                     "files.write": { "Mode": "AlwaysEscalate" }, "answer": { "Mode": "Gated" } } }
        """;

    public static string PlainTask(int n) => $"Chaos plain run {n.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The benchmark's task: one shell call and an answer.</summary>
    public static string QuickTask(int n) => $"Chaos quick run {n.ToString(CultureInfo.InvariantCulture)}";

    public static string GatedTask(int n) => $"Chaos gated run {n.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The lines of a task, each with the marker that shows in the prompt once the line was taken.</summary>
    public static IReadOnlyList<(string Marker, string Line)> Lines(string task)
    {
        var match = TaskPattern().Match(task);
        if (!match.Success)
        {
            throw new ArgumentException($"'{task}' is not a chaos task.", nameof(task));
        }

        var n = match.Groups[2].Value;
        if (match.Groups[1].Value == "quick")
        {
            return [("echo q", Shell($"echo q{n}")), ("answer", $"answer quick {n} done")];
        }

        return match.Groups[1].Value == "plain"
            ?
            [
                ("sleep 1", Shell($"echo r{n} > out.txt && sleep 1 && cat out.txt")),
                ("files.read", """call files.read {"path":"out.txt"}"""),
                ("answer", $"answer plain {n} done"),
            ]
            :
            [
                ("echo seed", Shell($"echo seed{n} > seed.txt")),
                ("files.write", $$"""call files.write {"path":"note.txt","content":"approved {{n}}"}"""),
                ("cat seed.txt", Shell("cat seed.txt note.txt")),
                ("answer", $"answer gated {n} done"),
            ];
    }

    /// <summary>The next line for a prompt: the task is found in it, then the first line whose marker it lacks.</summary>
    public static string Next(string prompt)
    {
        var match = TaskPattern().Match(prompt);
        if (!match.Success)
        {
            return "answer (not a chaos task)";
        }

        var history = prompt[(match.Index + match.Length)..];
        foreach (var (marker, line) in Lines(match.Value))
        {
            if (!history.Contains(marker, StringComparison.Ordinal))
            {
                return line;
            }
        }

        return "answer (script ended)";
    }

    private static string Shell(string command) => ToolCall.Shell(command).ToString();

    [GeneratedRegex(@"Chaos (plain|gated|quick) run (\d+)")]
    private static partial Regex TaskPattern();
}
