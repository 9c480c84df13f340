using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Agent.Monitoring;
using Agent.Training.Corpus;
using Agent.Training.Evaluation;
using Agent.Training.Pipeline;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent classifier train [--corpus DIR] [--out PATH] [--seed N] [--preset P] [--corpus-seed N]</c> and
/// <c>agent classifier eval [--split S] [--corpus DIR] [--json]</c>: the pretrained-encoder classifier's heads (Agent.Monitoring).
/// Without <c>--corpus</c> both read the generated corpus of the preset (the one the shipped model was trained on), whose
/// splits are by template.
/// </summary>
internal static class ClassifierCommand
{
    public static Command Create()
    {
        var command = new Command("classifier", "Train and evaluate the sentence-encoder classifier (the gate's second signal)");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Eval());
        return command;
    }

    private static Command Train()
    {
        var corpus = new Option<string?>("--corpus") { Description = "A folder of tagged transcripts (JSONL, as agent train --corpus reads) instead of the generated corpus" };
        var output = new Option<string?>("--out") { Description = "Where to write the weights (default: Classifier:WeightsPath)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the heads' initialisation", DefaultValueFactory = _ => 1 };
        var hidden = new Option<int>("--hidden")
        {
            Description = "Hidden ReLU units per head (0: logistic regression)",
            DefaultValueFactory = _ => new ClassifierTrainingOptions().Hidden,
        };
        hidden.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 4096)
            {
                result.AddError("--hidden must be between 0 (logistic regression) and 4096.");
            }
        });
        var earlierCalls = new Option<bool>("--earlier-calls")
        {
            Description = "Answer heads also read the run's earlier calls (layout earlier-calls-v1, after attribution-v1; measured, not shipped: models/classifier.md)",
        };
        var attribution = new Option<bool>("--attribution")
        {
            Description = "Heads also read whether the answer attaches its numbers to the labels the output does (layout attribution-v1; implied by --earlier-calls; measured, not shipped: models/classifier.md)",
        };
        var (preset, corpusSeed, documents) = CorpusOptions();
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object" };
        var items = ItemsOption();
        var embeddings = new Option<string?>("--embeddings")
        {
            Description = "An embedding cache file: read before training when it exists, written after, so a retrain does not embed the same texts again",
        };
        var command = new Command("train", "Fit one head per tag on the train split, pick thresholds on validation, write the weights")
        {
            corpus, output, seed, hidden, earlierCalls, attribution, preset, corpusSeed, documents, items, embeddings, json,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var (host, options, paths) = Start(parseResult);
            using (host)
            {
                var actions = Actions(parseResult, corpus, preset, corpusSeed, documents);
                actions.AddRange(Independent(parseResult, items, paths));
                var weights = paths.Resolve(parseResult.GetValue(output) ?? options.WeightsPath);
                using var encoder = TextEncoder.Load(options.EncoderPath is null ? null : paths.Resolve(options.EncoderPath), options.Threads);
                var progress = new Progress<string>(line => Console.Error.WriteLine(line));
                var trainer = new ClassifierTrainer(encoder);
                var cache = parseResult.GetValue(embeddings) is { } c ? paths.Resolve(c) : null;
                if (cache is not null)
                {
                    Console.Error.WriteLine($"read {trainer.LoadEmbeddings(cache)} embeddings from {cache}");
                }

                var report = trainer.Train(actions, weights, new ClassifierTrainingOptions { Seed = parseResult.GetValue(seed), Hidden = parseResult.GetValue(hidden), EarlierCalls = parseResult.GetValue(earlierCalls), Attribution = parseResult.GetValue(attribution) }, progress, cancellationToken);
                if (cache is not null)
                {
                    trainer.SaveEmbeddings(cache);
                }

                Console.Error.WriteLine($"wrote {weights} ({new FileInfo(weights).Length} bytes)");
                Print(report, parseResult.GetValue(json));
                return Task.FromResult(ExitCodes.Ok);
            }
        });
        return command;
    }

    private static Command Eval()
    {
        var corpus = new Option<string?>("--corpus") { Description = "A folder of tagged transcripts instead of the generated corpus" };
        var split = new Option<string>("--split") { Description = "test, validation, train, all, or none (with --items: only the items)", DefaultValueFactory = _ => "test" };
        var items = ItemsOption();
        var weightsOption = new Option<string?>("--weights") { Description = "The weights file (default: Classifier:WeightsPath)" };
        var (preset, corpusSeed, documents) = CorpusOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("eval", "AUROC, recall and false positives of the classifier per tag and kind of case") { split, corpus, weightsOption, preset, corpusSeed, documents, items, json };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var splitName = parseResult.GetValue(split)!.ToLowerInvariant();
            ClassifierSplit[] which = splitName switch
            {
                "test" => [ClassifierSplit.Test],
                "validation" => [ClassifierSplit.Validation],
                "train" => [ClassifierSplit.Train],
                "all" => [ClassifierSplit.Train, ClassifierSplit.Validation, ClassifierSplit.Test],
                "none" when parseResult.GetValue(items) is not null => [],
                _ => throw new ArgumentException($"--split '{splitName}' must be test, validation, train, all, or none with --items FILE."),
            };
            var (host, options, paths) = Start(parseResult);
            using (host)
            {
                var weights = paths.Resolve(parseResult.GetValue(weightsOption) ?? options.WeightsPath);
                var watch = Stopwatch.StartNew();
                using var classifier = TagClassifier.Load(weights, options.EncoderPath is null ? null : paths.Resolve(options.EncoderPath), options.Threads);
                var loadSeconds = watch.Elapsed.TotalSeconds;
                List<LabelledAction> actions = which.Length == 0 ? [] : Actions(parseResult, corpus, preset, corpusSeed, documents).Where(a => which.Contains(a.Split)).ToList();
                actions.AddRange(Independent(parseResult, items, paths));
                watch.Restart();
                var report = ClassifierTrainer.Evaluate(classifier, actions, cancellationToken);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"classifier loaded in {loadSeconds:F2} s; {actions.Count} actions scored in {watch.Elapsed.TotalSeconds:F1} s ({watch.Elapsed.TotalMilliseconds / Math.Max(1, actions.Count):F1} ms each); working set {Environment.WorkingSet >> 20} MiB"));
                Print(report, parseResult.GetValue(json));
                return Task.FromResult(ExitCodes.Ok);
            }
        });
        return command;
    }

    private static Option<string?> ItemsOption() => new("--items")
    {
        Description = "Also measure on labelled items written outside the corpus (JSONL: agent score items with tag, label, kind; e.g. models/eval/independent-items.jsonl), reported as the split 'independent'",
    };

    /// <summary>The labelled items of --items as the split <see cref="ClassifierSplit.Independent"/>, each item's kind its group.</summary>
    private static IEnumerable<LabelledAction> Independent(ParseResult parseResult, Option<string?> items, AgentPaths paths) =>
        parseResult.GetValue(items) is { } file
            ? LabelledItemReader.Read(paths.Resolve(file)).Select(i => new LabelledAction(i.Item.ToClassifierInput(), i.Tag, i.Positive, ClassifierSplit.Independent, i.Kind))
            : [];

    private static (Option<string> Preset, Option<int> Seed, Option<int> Documents) CorpusOptions() => (
        new Option<string>("--preset") { Description = "The preset whose generated corpus to read", DefaultValueFactory = _ => "default" },
        new Option<int>("--corpus-seed") { Description = "The generated corpus's seed (the shipped model's is 1)", DefaultValueFactory = _ => 1 },
        new Option<int>("--documents") { Description = "Generate this many documents instead of the preset's (0 = the preset's)", DefaultValueFactory = _ => 0 });

    private static (IDisposable Host, ClassifierOptions Options, AgentPaths Paths) Start(ParseResult parseResult)
    {
        var builder = AgentHost.CreateBuilder(parseResult);
        AgentHost.AddValidatedOptions<ClassifierOptions>(builder.Services, ClassifierOptions.Section);
        var host = builder.Build();
        return (host, AgentHost.Options<ClassifierOptions>(host.Services, ClassifierOptions.Section), (AgentPaths)host.Services.GetService(typeof(AgentPaths))!);
    }

    private static List<LabelledAction> Actions(ParseResult parseResult, Option<string?> corpus, Option<string> preset, Option<int> seed, Option<int> documents)
    {
        if (parseResult.GetValue(corpus) is { } folder)
        {
            return ClassifierCorpus.FromFolder(folder);
        }

        if (!TrainingPreset.All.TryGetValue(parseResult.GetValue(preset)!, out var recipe))
        {
            throw new ArgumentException($"--preset must be one of: {string.Join(", ", TrainingPreset.All.Keys)}.");
        }

        var count = parseResult.GetValue(documents);
        if (count < 0)
        {
            throw new ArgumentException("--documents cannot be negative.");
        }

        var generated = CorpusGenerator.Generate(new Agent.Training.Corpus.CorpusOptions { Seed = parseResult.GetValue(seed), Documents = count > 0 ? count : recipe.Documents });
        return ClassifierCorpus.From(generated, Enum.GetValues<CorpusSplit>());
    }

    private static void Print(ClassifierReport report, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(report, JsonOutput.Options));
            return;
        }

        var table = new Table().AddColumns("tag", "split", "pos / neg", "AUROC", "threshold", "recall", "false positives", "recall at <=2% FPR", "per kind: AUROC (recall)");
        foreach (var h in report.Heads)
        {
            table.AddRow(h.Tag, h.Split, F($"{h.Positives} / {h.Negatives}"), Auroc(h.Auroc), F($"{h.Threshold:F3}"), F($"{h.Recall:F3}"), F($"{h.FalsePositiveRate:F3}"),
                F($"{h.RecallAt2PercentFpr:F3}"), Markup.Escape(string.Join("; ", h.Groups.Select(g => F($"{g.Group} {Auroc(g.Auroc)} ({g.Recall:F2})")))));
        }

        AnsiConsole.Write(table);

        static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        static string Auroc(double? a) => a is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";
    }
}
