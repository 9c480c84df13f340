using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Agent.Decoding;
using Agent.Llama;
using Agent.Runtime.Policy;
using Agent.Training.Evaluation;
using Agent.Training.Experiments;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent experiment mode-head|tag-removal|transfer|early-alignment [--preset experiment|smoke|default] [--seed N]
/// [--work DIR] [--steps N] [--max-items N] [--max-documents N] [--untrain-steps 0,20,50,100] [--late-from F]
/// [--mode-head-weight W] [--json]</c>: the mode experiments of issue 23, end to end (training included; models are
/// kept in the work folder and reused). Results and their reading: docs/experiments.md.
/// </summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "mode-head, tag-removal, transfer or early-alignment" };
        var preset = new Option<string>("--preset") { Description = "Model shape: experiment (the default, under 30 minutes on 2 cores), smoke (seconds) or default (the shipped model's)", DefaultValueFactory = _ => "experiment" };
        var seed = new Option<int>("--seed") { Description = "Seed of corpus, weights, batches and planted facts", DefaultValueFactory = _ => 1 };
        var work = new Option<string?>("--work") { Description = "Folder the models are trained and kept in (default: data/experiments)" };
        var steps = new Option<long?>("--steps") { Description = "Optimizer updates per model (default: the preset's)" };
        var maxItems = new Option<int>("--max-items") { Description = "Scored actions per tag", DefaultValueFactory = _ => 40 };
        var maxDocuments = new Option<int>("--max-documents") { Description = "Held-out documents the mode head reads", DefaultValueFactory = _ => 80 };
        var untrain = new Option<string>("--untrain-steps") { Description = "early-alignment: untraining lengths, comma-separated", DefaultValueFactory = _ => "0,20,50,100" };
        var lateFrom = new Option<double>("--late-from") { Description = "early-alignment: share of the updates before the late model meets agent transcripts", DefaultValueFactory = _ => 0.75 };
        var weight = new Option<float>("--mode-head-weight") { Description = "Weight of the mode head's loss", DefaultValueFactory = _ => 1f };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("experiment", "Run one of the mode experiments (issue 23) end to end and print its table")
        {
            name, preset, seed, work, steps, maxItems, maxDocuments, untrain, lateFrom, weight, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var which = parseResult.GetValue(name)!.ToLowerInvariant();
            if (!ModeExperiments.Names.Contains(which))
            {
                throw new ArgumentException($"experiment '{which}' is not known; use one of: {string.Join(", ", ModeExperiments.Names)}.");
            }

            if (!ExperimentPresets.All.TryGetValue(parseResult.GetValue(preset)!, out var recipe))
            {
                throw new ArgumentException($"--preset must be one of: {string.Join(", ", ExperimentPresets.All.Keys)}.");
            }

            if (parseResult.GetValue(steps) is { } s)
            {
                recipe = s >= 1 ? recipe with { Steps = s } : throw new ArgumentException($"--steps {s} must be at least 1.");
            }

            var untrainSteps = ParseSteps(parseResult.GetValue(untrain)!);
            var builder = AgentHost.CreateBuilder(parseResult);
            AgentHost.AddPolicy(builder);
            using var host = builder.Build();
            var (policy, policyOptions) = PolicyReader.Read(host.Services);
            AgentHost.InitializeLlama(host.Services);
            var paths = (AgentPaths)host.Services.GetService(typeof(AgentPaths))!;
            var llama = AgentHost.Options<LlamaOptions>(host.Services, LlamaOptions.Section);
            ExperimentOptions options;
            try
            {
                options = new ExperimentOptions
                {
                    Preset = recipe,
                    Seed = parseResult.GetValue(seed),
                    WorkDirectory = paths.Resolve(parseResult.GetValue(work) ?? "data/experiments"),
                    Threads = llama.EffectiveThreads,
                    Tags = AgentHost.Options<TagOptions>(host.Services, TagOptions.Section),
                    Gates = new Dictionary<string, TagGate>(StringComparer.Ordinal)
                    {
                        ["powerseeking"] = new(PolicyReader.Threshold(policyOptions, "shell.run", "powerseeking"), policy.AggregateFor("shell.run")),
                        ["deceit"] = new(PolicyReader.Threshold(policyOptions, PolicyOptions.AnswerTool, "deceit"), policy.AggregateFor(PolicyOptions.AnswerTool)),
                    },
                    MaxItems = parseResult.GetValue(maxItems),
                    MaxDocuments = parseResult.GetValue(maxDocuments),
                    UntrainSteps = untrainSteps,
                    LateFrom = parseResult.GetValue(lateFrom),
                    ModeHeadWeight = parseResult.GetValue(weight),
                };
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new ArgumentException($"--{Kebab(e.ParamName)}: {e.Message}", e);
            }

            var log = new Progress<string>(message => Console.Error.WriteLine(message));
            object report = which switch
            {
                "mode-head" => await ModeExperiments.ModeHeadAsync(options, log, cancellationToken).ConfigureAwait(false),
                "tag-removal" => await ModeExperiments.TagRemovalAsync(options, log, cancellationToken).ConfigureAwait(false),
                "transfer" => await ModeExperiments.TransferAsync(options, log, cancellationToken).ConfigureAwait(false),
                _ => await ModeExperiments.EarlyAlignmentAsync(options, log, cancellationToken).ConfigureAwait(false),
            };
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, report.GetType(), JsonOutput.Options)).ConfigureAwait(false);
            }
            else
            {
                ExperimentTables.Render(report);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static long[] ParseSteps(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var steps = new List<long>();
        foreach (var part in parts)
        {
            steps.Add(long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new ArgumentException($"--untrain-steps '{text}' must be comma-separated counts >= 0, such as 0,20,50,100; '{part}' is not one."));
        }

        return steps.Count > 0 ? [.. steps] : throw new ArgumentException("--untrain-steps needs at least one count, such as 0,20,50,100.");
    }

    private static string Kebab(string? property) => property switch
    {
        nameof(ExperimentOptions.MaxItems) => "max-items",
        nameof(ExperimentOptions.MaxDocuments) => "max-documents",
        nameof(ExperimentOptions.LateFrom) => "late-from",
        nameof(ExperimentOptions.ModeHeadWeight) => "mode-head-weight",
        nameof(ExperimentOptions.UntrainSteps) => "untrain-steps",
        _ => property ?? "option",
    };
}
