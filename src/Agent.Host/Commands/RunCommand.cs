using System.CommandLine;
using System.Text.Json;
using Agent.Runtime;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent run "TASK" [--json] [--model PATH]</c> and <c>agent run --resume RUN_ID</c>: runs one task in this
/// process through the durable store (so it can be reviewed and resumed) and prints the transcript with each action's decision.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var task = new Argument<string?>("task") { Description = "The task for the agent", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (the output contract)" };
        var model = new Option<string?>("--model") { Description = "GGUF model (default: Llama:ModelPath)" };
        var resume = new Option<string?>("--resume") { Description = "Resume a stored run (after an approval, a crash or a shutdown) instead of starting one" };
        var command = new Command("run", "Run one task in-process and print its actions and their decisions") { task, json, model, resume };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var text = parseResult.GetValue(task);
            var resumeId = parseResult.GetValue(resume);
            if (string.IsNullOrWhiteSpace(text) == string.IsNullOrWhiteSpace(resumeId))
            {
                throw new ArgumentException("Give either a task (agent run \"TASK\") or --resume RUN_ID.");
            }

            var asJson = parseResult.GetValue(json);
            var builder = AgentHost.CreateBuilder(parseResult);
            AgentHost.AddRuntime(builder, parseResult.GetValue(model));
            using var host = builder.Build();
            AgentHost.ValidateRuntimeOptions(host.Services);
            // Everything the user can get wrong is checked before a run is stored or a sandbox starts: the task's size,
            // the model file, and that the run store is this program's (it is read before it is migrated).
            if (text is not null)
            {
                TaskLimit.Check(text, AgentHost.Options<AgentOptions>(host.Services, AgentOptions.Section));
            }

            host.Services.GetRequiredService<LoadedModel>().CheckFile();
            var modeRule = host.Services.GetRequiredService<LoadedModel>().CheckModeRule(AgentHost.Options<PolicyOptions>(host.Services, PolicyOptions.Section));
            // Loads the model now only when the policy reads a combined signal (it needs the model's tag tokens): before the store is touched.
            var combinedRule = host.Services.GetRequiredService<LoadedModel>().CheckCombinedRule(AgentHost.Options<PolicyOptions>(host.Services, PolicyOptions.Section));
            var classifier = host.Services.GetRequiredService<RuntimeClassifier>();
            classifier.Load();
            var store = host.Services.GetRequiredService<IRunStore>();
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            if (resumeId is not null && await store.GetRunAsync(resumeId, cancellationToken).ConfigureAwait(false) is null)
            {
                // Before the host starts: a run that is not there needs no sandbox (the warm pool would start one).
                throw new ArgumentException($"No run '{resumeId}' in the run store ({AgentHost.Options<StorageOptions>(host.Services, StorageOptions.Section).DatabasePath}): check the run id (those of pending approvals are in 'agent review list').");
            }

            // The model loads before the run is stored: a chat template the runtime cannot lay out is refused here (exit 2).
            var loaded = host.Services.GetRequiredService<LoadedModel>();
            loaded.Load();
            await Console.Error.WriteLineAsync(classifier.Describe()).ConfigureAwait(false);
            if (modeRule is not null)
            {
                await Console.Error.WriteLineAsync(modeRule).ConfigureAwait(false);
            }

            if (combinedRule is not null)
            {
                await Console.Error.WriteLineAsync(combinedRule).ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync($"model {loaded.ModelName}: transcript format {loaded.FormatName}").ConfigureAwait(false);
            foreach (var line in DescribeTags(loaded.DescribeTags(AgentHost.Options<PolicyOptions>(host.Services, PolicyOptions.Section), classifier.Classifier is not null)))
            {
                await Console.Error.WriteLineAsync(line).ConfigureAwait(false);
            }

            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var (run, report) = await InProcessRun.ExecuteAsync(host.Services, text, resumeId, cancellationToken).ConfigureAwait(false);

                if (asJson)
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, JsonOutput.Options)).ConfigureAwait(false);
                }
                else
                {
                    await PrintAsync(run, report).ConfigureAwait(false);
                }

                return run.Status is RunStatus.Completed or RunStatus.Parked ? ExitCodes.Ok : ExitCodes.Failed;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        });
        return command;
    }

    /// <summary>One line per behaviour tag: how the model has it and what the gate reads for it (with why, when that is less than the policy asks).</summary>
    internal static IEnumerable<string> DescribeTags(IEnumerable<TagReadout> readouts) =>
        readouts.Where(r => r.Kind == "behaviour").Select(r =>
            $"gate <{r.Tag}>: the model has it as {TagReadout.Words(r.Token)}; the gate reads {r.GateReads}{(r.Note is null ? string.Empty : " (" + r.Note + ")")}");

    private static async Task PrintAsync(RunRecord run, RunReport report)
    {
        var o = Console.Out;
        await o.WriteLineAsync($"run {run.Id}  task: {run.Task}").ConfigureAwait(false);
        var malformed = report.Malformed.ToDictionary(m => m.Step);
        var lastStep = 0;
        foreach (var action in report.Actions)
        {
            await PrintMalformedAsync(o, malformed.Values.Where(m => m.Step > lastStep && m.Step < action.Step)).ConfigureAwait(false);
            lastStep = action.Step;
            var temptation = string.Join(" ", action.Temptation.Select(t => $"{t.Key}={t.Value.Any:0.000}"));
            var classifier = action.Classifier.Count == 0 ? string.Empty : " classifier: " + string.Join(" ", action.Classifier.Select(t => $"{t.Key}={t.Value:0.000}"));
            await o.WriteLineAsync($"[{action.Step}] {action.Tool} {action.Arguments.GetRawText()}").ConfigureAwait(false);
            await o.WriteLineAsync($"    -> {action.Decision.ToUpperInvariant()} ({action.Rule}) temptation(any): {temptation}{classifier}").ConfigureAwait(false);
            if (action.Result is { } r)
            {
                await o.WriteLineAsync($"    exit={r.ExitCode}{(r.Truncated ? " truncated" : string.Empty)}").ConfigureAwait(false);
                foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(20))
                {
                    await o.WriteLineAsync("    | " + line).ConfigureAwait(false);
                }

                foreach (var line in r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(20))
                {
                    await o.WriteLineAsync("    ! " + line).ConfigureAwait(false);
                }
            }
        }

        await PrintMalformedAsync(o, malformed.Values.Where(m => m.Step > lastStep)).ConfigureAwait(false);
        await o.WriteLineAsync($"status: {report.Status}{(run.Reason is { } why ? " (" + why + ")" : string.Empty)}; steps {run.Steps}, tokens {run.Tokens}, malformed {run.MalformedCalls}").ConfigureAwait(false);
        if (run.FinalAnswer is { } answer)
        {
            await o.WriteLineAsync("answer: " + answer).ConfigureAwait(false);
        }
    }

    /// <summary>Malformed steps in the transcript: the model's own line, then why it was refused.</summary>
    private static async Task PrintMalformedAsync(TextWriter o, IEnumerable<MalformedStep> steps)
    {
        foreach (var m in steps.OrderBy(m => m.Step))
        {
            await o.WriteLineAsync($"[{m.Step}] malformed: {m.Line.ReplaceLineEndings("\\n")}").ConfigureAwait(false);
            await o.WriteLineAsync($"    -> {m.Error}").ConfigureAwait(false);
        }
    }
}
