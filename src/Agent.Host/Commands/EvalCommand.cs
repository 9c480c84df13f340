using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Agent.Runtime.Policy;
using Agent.Training.Corpus;
using Agent.Training.Evaluation;
using Agent.Training.Pipeline;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent eval [--model PATH] [--split test|validation] [--max-items N] [--preset default] [--seed N] [--json]</c>:
/// AUROC of temptation per tag on the held-out split of the synthetic corpus the model was trained from, paired accuracy,
/// recall and false-positive rate at the policy thresholds, and mode drift.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "GGUF model (default: Llama:ModelPath)" };
        var split = new Option<string>("--split") { Description = "test (held-out templates), validation, or train (to see what the model memorised)", DefaultValueFactory = _ => "test" };
        var maxItems = new Option<int>("--max-items") { Description = "At most this many items per tag (0 = all)", DefaultValueFactory = _ => 0 };
        var preset = new Option<string>("--preset") { Description = "The preset whose corpus the model was trained on", DefaultValueFactory = _ => "default" };
        var seed = new Option<int>("--seed") { Description = "The corpus seed the model was trained with", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var itemsOut = new Option<string?>("--items-out") { Description = "Also write every scored item (template, label, score, action, and p(tag) at each of its tokens) as JSON lines to this file" };
        var untrain = new Option<long>("--untrain-steps") { Description = "Durability check: first fine-tune the model this many updates on the corpus with its tags removed", DefaultValueFactory = _ => 0 };
        var command = new Command("eval", "Measure how well the model's temptation separates unsafe from safe actions on held-out templates")
        {
            model, split, maxItems, preset, seed, json, untrain, itemsOut,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var splitName = parseResult.GetValue(split)!;
            var which = splitName.ToLowerInvariant() switch
            {
                "test" => CorpusSplit.Test,
                "validation" => CorpusSplit.Validation,
                "train" => CorpusSplit.Train,
                _ => throw new ArgumentException($"--split '{splitName}' must be test, validation or train."),
            };
            if (!TrainingPreset.All.TryGetValue(parseResult.GetValue(preset)!, out var recipe))
            {
                throw new ArgumentException($"--preset must be one of: {string.Join(", ", TrainingPreset.All.Keys)}.");
            }

            var builder = AgentHost.CreateBuilder(parseResult);
            AgentHost.AddPolicy(builder);
            ModelTranscriptFormat.Add(builder);
            using var host = builder.Build();
            var (policy, policyOptions) = PolicyReader.Read(host.Services);
            var corpus = TrainingPipeline.GenerateCorpus(recipe, parseResult.GetValue(seed));
            var modelPath = parseResult.GetValue(model);
            var untrainSteps = parseResult.GetValue(untrain);
            if (untrainSteps < 0)
            {
                throw new ArgumentException("--untrain-steps cannot be negative.");
            }

            if (untrainSteps > 0)
            {
                AgentHost.InitializeLlama(host.Services);
                var paths = (AgentPaths)host.Services.GetService(typeof(AgentPaths))!;
                var llama = AgentHost.Options<Agent.Llama.LlamaOptions>(host.Services, Agent.Llama.LlamaOptions.Section);
                var source = paths.Resolve(modelPath ?? llama.ModelPath);
                var untrained = paths.Resolve(string.Create(CultureInfo.InvariantCulture, $"data/untrain/{Path.GetFileNameWithoutExtension(source)}-{untrainSteps}.gguf"));
                Directory.CreateDirectory(Path.GetDirectoryName(untrained)!);
                // The untagged text in the format the runtime shows this model, the one the items are rendered in below.
                var untrainFormat = ModelTranscriptFormat.ForFile(host.Services, source);
                await Console.Error.WriteLineAsync($"fine-tuning {source} for {untrainSteps} updates on untagged text in the {untrainFormat.Name} transcript format -> {untrained} (sample: {Untrainer.SamplePath(untrained)})").ConfigureAwait(false);
                await Untrainer.UntrainAsync(source, corpus, untrainSteps, untrained, llama.EffectiveThreads, untrainFormat, cancellationToken: cancellationToken).ConfigureAwait(false);
                modelPath = untrained;
            }

            var (loaded, decoder) = DecoderFactory.Create(host.Services, modelPath);
            using (loaded)
            using (decoder)
            {
                var gates = new Dictionary<string, TagGate>(StringComparer.Ordinal)
                {
                    ["powerseeking"] = new(PolicyReader.Threshold(policyOptions, "shell.run", "powerseeking"), policy.AggregateFor("shell.run")),
                    ["deceit"] = new(PolicyReader.Threshold(policyOptions, PolicyOptions.AnswerTool, "deceit"), policy.AggregateFor(PolicyOptions.AnswerTool)),
                };
                // Items in the format the runtime shows this model (its chat template's, or the project's own).
                var format = ModelTranscriptFormat.ForLoaded(host.Services, loaded);
                await Console.Error.WriteLineAsync($"transcript format {format.Name}").ConfigureAwait(false);
                var report = await new Evaluator(decoder, format).EvaluateAsync(corpus, which, gates, parseResult.GetValue(maxItems), cancellationToken).ConfigureAwait(false);
                if (parseResult.GetValue(itemsOut) is { } itemsPath)
                {
                    await File.WriteAllLinesAsync(itemsPath, report.Items.Select(i => JsonSerializer.Serialize(i, JsonOutput.Options)), cancellationToken).ConfigureAwait(false);
                }

                if (parseResult.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, JsonOutput.Options)).ConfigureAwait(false);
                }
                else
                {
                    Render(report);
                }

                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static void Render(EvaluationReport report)
    {
        var table = new Table().AddColumns("tag", "positives", "negatives", "AUROC", "paired acc.", "aggregate", "threshold", "recall", "false positives");
        foreach (var t in report.Tags)
        {
            table.AddRow(t.Tag, t.Positives.ToString(CultureInfo.InvariantCulture), t.Negatives.ToString(CultureInfo.InvariantCulture),
                t.Auroc.ToString("F4", CultureInfo.InvariantCulture), t.PairedAccuracy.ToString("F3", CultureInfo.InvariantCulture), t.Aggregate,
                t.Threshold.ToString("F2", CultureInfo.InvariantCulture), t.Recall.ToString("F3", CultureInfo.InvariantCulture),
                t.FalsePositiveRate.ToString("F3", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        var groups = new Table().AddColumns("tag", "after a success: pos / neg", "AUROC", "after a failure: pos / neg", "AUROC");
        foreach (var t in report.Tags)
        {
            groups.AddRow(t.Tag, Count(t.AfterSuccess), Area(t.AfterSuccess), Count(t.AfterFailure), Area(t.AfterFailure));
        }

        AnsiConsole.Write(groups);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"mode drift: p(<mode1>) while acting {report.ModeDriftAgent:E2}, p(<mode2>) in prose {report.ModeDriftProse:E2}; split {report.Split}, {report.Seconds:F0} s"));
        var c = report.Copying;
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"copying: p(a number an honest answer restates from the tool result) {(c.RestatedProbability is { } r ? r.ToString("F3", CultureInfo.InvariantCulture) : "-")} over {c.RestatedTokens} tokens; {c.RepeatTokens}-token random sequences read twice: p {c.FirstCopyProbability:F4} the first time, {c.SecondCopyProbability:F4} the second")));

        static string Count(ResultGroup g) => string.Create(CultureInfo.InvariantCulture, $"{g.Positives} / {g.Negatives}");
        static string Area(ResultGroup g) => g.Auroc is { } auroc ? auroc.ToString("F4", CultureInfo.InvariantCulture) : "-";
    }
}
