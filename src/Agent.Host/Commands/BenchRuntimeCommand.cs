using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Agent.Monitoring;
using Agent.Runtime;
using Agent.Runtime.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent bench runtime [--tasks FILE] [--model PATH] [--store PATH] [--json]</c>: runs every task of a JSONL list
/// (<c>{"category":"benign|unsafe","task":"..."}</c> per line; default <c>bench/runtime-tasks.jsonl</c> beside appsettings.json)
/// through the same in-process path as <c>agent run</c>, one after another on one loaded model, and prints per category
/// how many runs completed, parked (escalated), were blocked, failed or hit a limit, how many actions were allowed,
/// escalated or blocked, and the mean seconds per model step. Parked runs are not resumed: an escalation counts as such.
/// </summary>
internal static class BenchRuntimeCommand
{
    /// <summary>The task list shipped with the repository, relative to appsettings.json's folder.</summary>
    public const string DefaultTasksFile = "bench/runtime-tasks.jsonl";

    private static readonly string[] s_categories = ["benign", "unsafe"];

    public static Command Create()
    {
        var tasks = new Option<string?>("--tasks") { Description = $"JSONL task list, one {{\"category\":\"benign|unsafe\",\"task\":\"...\"}} per line (default: {DefaultTasksFile})" };
        var model = new Option<string?>("--model") { Description = "GGUF model (default: Llama:ModelPath)" };
        var store = new Option<string?>("--store") { Description = "SQLite file for the benchmark's runs (default: a new file in the temp folder, so the review queue stays clean)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: per-category figures and every run" };
        var runtime = new Command("runtime", "Run a list of benign and unsafe-inviting tasks and count outcomes, decisions and time per step") { tasks, model, store, json };
        runtime.SetAction(async (parseResult, cancellationToken) =>
        {
            var asJson = parseResult.GetValue(json);
            var builder = AgentHost.CreateBuilder(parseResult);
            var tasksFile = AgentConfiguration.ResolvePath(builder.Environment.ContentRootPath, parseResult.GetValue(tasks) ?? DefaultTasksFile);
            var items = ReadTasks(tasksFile);
            var storeFile = Path.GetFullPath(parseResult.GetValue(store)
                ?? Path.Combine(Path.GetTempPath(), $"agent-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.db"));
            builder.Configuration.AddInMemoryCollection([new KeyValuePair<string, string?>("Storage:DatabasePath", storeFile)]);
            AgentHost.AddRuntime(builder, parseResult.GetValue(model));
            // Every model step passes through the timer, so the figure is the model's time alone (tools and store excluded).
            builder.Services.AddSingleton(sp => new StepTimer(sp.GetRequiredService<LoadedModel>()));
            builder.Services.AddSingleton<IAgentStepSource>(sp => sp.GetRequiredService<StepTimer>());
            // And every classifier score (the gate's second signal), so both signals are measured against the model alone in one run.
            builder.Services.AddSingleton(sp => new ClassifierTimer(sp.GetRequiredService<RuntimeClassifier>().Classifier));
            builder.Services.AddSingleton<ITagClassifier>(sp => sp.GetRequiredService<ClassifierTimer>().Timed!);
            using var host = builder.Build();
            AgentHost.ValidateRuntimeOptions(host.Services);
            // As agent run: the tasks, the model file and the run store are checked before a run is stored or a sandbox starts.
            var agentOptions = AgentHost.Options<AgentOptions>(host.Services, AgentOptions.Section);
            foreach (var (index, item) in items.Index())
            {
                if (TaskLimit.Problem(item.Task, agentOptions) is { } tooLong)
                {
                    throw new ArgumentException($"{tasksFile}, task {index + 1}: {tooLong}");
                }
            }

            host.Services.GetRequiredService<LoadedModel>().CheckFile();
            var classifier = host.Services.GetRequiredService<RuntimeClassifier>();
            var classifierLoading = Stopwatch.StartNew();
            classifier.Load();
            var classifierLoadSeconds = classifierLoading.Elapsed.TotalSeconds;
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{classifier.Describe()}; loaded in {classifierLoadSeconds:0.00} s")).ConfigureAwait(false);
            await host.Services.GetRequiredService<IRunStore>().InitializeAsync(cancellationToken).ConfigureAwait(false);
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var loading = Stopwatch.StartNew();
                host.Services.GetRequiredService<LoadedModel>().Load();
                var loadSeconds = loading.Elapsed.TotalSeconds;
                var timer = host.Services.GetRequiredService<StepTimer>();
                var classifierTimer = host.Services.GetRequiredService<ClassifierTimer>();
                var workspaces = host.Services.GetRequiredService<IRunWorkspaces>();
                var runs = new List<BenchRun>();
                foreach (var (index, item) in items.Index())
                {
                    timer.Reset();
                    classifierTimer.Reset();
                    var wall = Stopwatch.StartNew();
                    var (run, report) = await InProcessRun.ExecuteAsync(host.Services, item.Task, null, cancellationToken).ConfigureAwait(false);
                    wall.Stop();
                    if (!run.IsTerminal)
                    {
                        // A parked run is not resumed here: its saved workspace is not needed.
                        await workspaces.ReleaseAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
                    }

                    var benchRun = new BenchRun(
                        item.Category,
                        item.Task,
                        run.Id,
                        report.Status,
                        run.Reason,
                        run.Steps,
                        run.MalformedCalls,
                        report.Actions.Count(a => a.Decision == "allow"),
                        report.Actions.Count(a => a.Decision == "escalate"),
                        report.Actions.Count(a => a.Decision == "block"),
                        timer.Durations,
                        classifierTimer.Durations,
                        wall.Elapsed.TotalSeconds);
                    runs.Add(benchRun);
                    await Console.Error.WriteLineAsync(string.Create(
                        CultureInfo.InvariantCulture,
                        $"[{index + 1}/{items.Count}] {item.Category} {benchRun.Status} steps={benchRun.Steps} model={benchRun.ModelSeconds.Sum():0.00}s classifier={benchRun.ClassifierSeconds.Sum():0.000}s wall={benchRun.WallSeconds:0.00}s: {item.Task}")).ConfigureAwait(false);
                }

                var source = host.Services.GetRequiredService<IAgentStepSource>();
                var categories = s_categories.ToDictionary(c => c, c => Summarize(runs.Where(r => r.Category == c).ToList()));
                if (asJson)
                {
                    var output = new
                    {
                        model = source.ModelName,
                        tasks_file = tasksFile,
                        store = storeFile,
                        load_seconds = loadSeconds,
                        classifier = classifierTimer.Timed is not null,
                        classifier_load_seconds = classifierLoadSeconds,
                        working_set_mib = Environment.WorkingSet >> 20,
                        categories,
                        runs = runs.Select(r => new
                        {
                            r.Category,
                            r.Task,
                            r.RunId,
                            r.Status,
                            r.Reason,
                            r.Steps,
                            r.MalformedCalls,
                            actions = new { allowed = r.Allowed, escalated = r.Escalated, blocked = r.Blocked },
                            model_seconds = r.ModelSeconds.Sum(),
                            classifier_seconds = r.ClassifierSeconds.Sum(),
                            classified_actions = r.ClassifierSeconds.Count,
                            r.WallSeconds,
                        }),
                    };
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(output, JsonOutput.Options)).ConfigureAwait(false);
                }
                else
                {
                    Print(source.ModelName, tasksFile, storeFile, loadSeconds, categories);
                    AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"classifier loaded in {classifierLoadSeconds:0.00} s; working set {Environment.WorkingSet >> 20} MiB")));
                }

                return ExitCodes.Ok;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        });
        return new Command("bench", "Benchmarks of the agent runtime") { runtime };
    }

    /// <summary>Reads the task list; a bad line fails with its file and line number.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">A line is not {"category":"benign|unsafe","task":"..."}.</exception>
    internal static IReadOnlyList<BenchTask> ReadTasks(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Task list '{path}' does not exist; give --tasks FILE or restore {DefaultTasksFile}.", path);
        }

        var tasks = new List<BenchTask>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string? category;
            string? task;
            try
            {
                using var doc = JsonDocument.Parse(line);
                category = doc.RootElement.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                task = doc.RootElement.TryGetProperty("task", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"{path}:{number}: not a JSON object ({e.Message}).", e);
            }

            if (category is null || !s_categories.Contains(category) || string.IsNullOrWhiteSpace(task))
            {
                throw new ArgumentException($"{path}:{number}: expected {{\"category\":\"benign|unsafe\",\"task\":\"...\"}} with a non-empty task.");
            }

            tasks.Add(new BenchTask(category, task));
        }

        return tasks.Count > 0 ? tasks : throw new ArgumentException($"{path} holds no tasks.");
    }

    private static BenchCategory Summarize(IReadOnlyList<BenchRun> runs)
    {
        var steps = runs.Sum(r => r.Steps);
        var modelSteps = runs.SelectMany(r => r.ModelSeconds).ToList();
        return new BenchCategory(
            runs.Count,
            runs.Count(r => r.Status == "completed"),
            runs.Count(r => r.Status == "parked"),
            runs.Count(r => r.Status == "blocked"),
            runs.Count(r => r.Status == "failed"),
            runs.Count(r => r.Status == "limit"),
            runs.Sum(r => r.Allowed),
            runs.Sum(r => r.Escalated),
            runs.Sum(r => r.Blocked),
            steps,
            runs.Sum(r => r.MalformedCalls),
            modelSteps.Count > 0 ? modelSteps.Average() : 0,
            steps > 0 ? runs.Sum(r => r.WallSeconds) / steps : 0,
            modelSteps.Count > 0 ? runs.Sum(r => r.ClassifierSeconds.Sum()) / modelSteps.Count : 0,
            runs.Sum(r => r.ClassifierSeconds.Count) is var scored and > 0 ? 1000 * runs.Sum(r => r.ClassifierSeconds.Sum()) / scored : 0);
    }

    private static void Print(string model, string tasksFile, string storeFile, double loadSeconds, Dictionary<string, BenchCategory> categories)
    {
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"model {model} (loaded in {loadSeconds:0.00} s), tasks {tasksFile}")));
        // One row per figure, one column per category: narrow enough for an 80-column terminal.
        var table = new Table().AddColumn("figure");
        foreach (var name in categories.Keys)
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        var rows = new (string Name, Func<BenchCategory, string> Value)[]
        {
            ("runs", c => Count(c.Runs)),
            ("  completed", c => Count(c.Completed)),
            ("  parked (escalated)", c => Count(c.Parked)),
            ("  blocked", c => Count(c.Blocked)),
            ("  failed", c => Count(c.Failed)),
            ("  limit", c => Count(c.Limit)),
            ("actions allowed", c => Count(c.ActionsAllowed)),
            ("actions escalated", c => Count(c.ActionsEscalated)),
            ("actions blocked", c => Count(c.ActionsBlocked)),
            ("model steps", c => Count(c.Steps)),
            ("  malformed lines", c => Count(c.MalformedSteps)),
            ("mean s per model step", c => c.ModelSecondsPerStep.ToString("0.000", CultureInfo.InvariantCulture)),
            ("  + classifier s per step", c => c.ClassifierSecondsPerStep.ToString("0.0000", CultureInfo.InvariantCulture)),
            ("  both signals / model only", c => c.ModelSecondsPerStep > 0 ? ((c.ModelSecondsPerStep + c.ClassifierSecondsPerStep) / c.ModelSecondsPerStep).ToString("0.000", CultureInfo.InvariantCulture) : "-"),
            ("classifier ms per scored action", c => c.ClassifierMsPerAction.ToString("0.0", CultureInfo.InvariantCulture)),
            ("mean s per step (wall, tools included)", c => c.SecondsPerStep.ToString("0.000", CultureInfo.InvariantCulture)),
        };
        foreach (var (name, value) in rows)
        {
            table.AddRow([name, .. categories.Values.Select(value)]);
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape($"runs and their escalations are in {storeFile} (agent review list --set Storage:DatabasePath={storeFile})"));
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>One line of the task list.</summary>
    internal sealed record BenchTask(string Category, string Task);

    /// <summary>The figures of one category (the JSON shape of <c>categories.*</c>).</summary>
    internal sealed record BenchCategory(
        int Runs, int Completed, int Parked, int Blocked, int Failed, int Limit,
        int ActionsAllowed, int ActionsEscalated, int ActionsBlocked, int Steps, int MalformedSteps, double ModelSecondsPerStep, double SecondsPerStep,
        double ClassifierSecondsPerStep, double ClassifierMsPerAction);

    private sealed record BenchRun(
        string Category, string Task, string RunId, string Status, string? Reason, int Steps, int MalformedCalls,
        int Allowed, int Escalated, int Blocked, IReadOnlyList<double> ModelSeconds, IReadOnlyList<double> ClassifierSeconds, double WallSeconds);

    /// <summary>Times every classifier score; <see cref="Timed"/> is null when the policy counts only the model's signal.</summary>
    private sealed class ClassifierTimer
    {
        private readonly ConcurrentQueue<double> _durations = new();

        public ClassifierTimer(ITagClassifier? inner)
        {
            Timed = inner is null ? null : new Timing(inner, this);
        }

        public ITagClassifier? Timed { get; }

        public IReadOnlyList<double> Durations => [.. _durations];

        public void Reset() => _durations.Clear();

        private void Add(double seconds) => _durations.Enqueue(seconds);

        private sealed class Timing(ITagClassifier classifier, ClassifierTimer owner) : ITagClassifier
        {
            public string WeightsPath => classifier.WeightsPath;

            public System.Collections.Immutable.ImmutableArray<TagHeadInfo> Heads => classifier.Heads;

            public TagScores Score(ClassifierInput input)
            {
                var clock = Stopwatch.StartNew();
                var scores = classifier.Score(input);
                owner.Add(clock.Elapsed.TotalSeconds);
                return scores;
            }

            public void Dispose()
            {
                // The RuntimeClassifier owns the classifier.
            }
        }
    }

    /// <summary>Times every model step of the loaded model (runs are benchmarked one after another).</summary>
    private sealed class StepTimer(IAgentStepSource inner) : IAgentStepSource
    {
        private readonly ConcurrentQueue<double> _durations = new();

        public string ModelName => inner.ModelName;

        public string? ChatTemplate => inner.ChatTemplate;

        public IReadOnlyList<double> Durations => [.. _durations];

        public void Reset() => _durations.Clear();

        public async Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default)
        {
            var clock = Stopwatch.StartNew();
            var step = await inner.NextAsync(request, cancellationToken).ConfigureAwait(false);
            _durations.Enqueue(clock.Elapsed.TotalSeconds);
            return step;
        }
    }
}
