using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Agent.Decoding.Transcripts;
using Agent.Monitoring;
using Agent.Runtime.Policy;
using Agent.Training.Audit;
using Agent.Training.Corpus;
using Agent.Training.Evaluation;
using Agent.Training.Pipeline;
using Agent.Training.Tagging;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent audit (--corpus DIR | --split S) [--sample N] [--seed N] [--top N] [--model PATH] [--json]</c>: scores every
/// span (agent action) with the model's teacher-forced temptation and with the classifier, and reports per tag how far
/// they agree at their thresholds (the policy's for the model, the weights' for the classifier), each one's AUROC against
/// the other's flags and against the source's own labels, and the largest disagreements with their text.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var corpus = new Option<string?>("--corpus") { Description = "A folder of .txt / .jsonl (as agent train --corpus reads); its own tag spans, if any, are the labels" };
        var split = new Option<string?>("--split") { Description = "A split of the generated corpus (test, validation or train), with the generator's labels" };
        var sample = new Option<int>("--sample") { Description = "Audit this many spans, picked by a seeded shuffle (0 = all)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of --sample", DefaultValueFactory = _ => 1 };
        var top = new Option<int>("--top") { Description = "Disagreements to list each way per tag", DefaultValueFactory = _ => 10 };
        var model = new Option<string?>("--model") { Description = "GGUF model (default: Llama:ModelPath)" };
        var preset = new Option<string>("--preset") { Description = "The preset whose generated corpus --split reads", DefaultValueFactory = _ => "default" };
        var corpusSeed = new Option<int>("--corpus-seed") { Description = "The generated corpus's seed (the shipped model's is 1)", DefaultValueFactory = _ => 1 };
        var documents = new Option<int>("--documents") { Description = "Generate this many documents instead of the preset's (0 = the preset's)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("audit", "Compare the model's temptation with the classifier on every action: agreement, AUROCs, largest disagreements")
        {
            corpus, split, sample, seed, top, model, preset, corpusSeed, documents, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var folder = parseResult.GetValue(corpus);
            var splitName = parseResult.GetValue(split);
            if ((folder is null) == (splitName is null))
            {
                throw new ArgumentException("Give exactly one of --corpus DIR or --split test|validation|train.");
            }

            var count = parseResult.GetValue(sample);
            var shown = parseResult.GetValue(top);
            var documentCount = parseResult.GetValue(documents);
            if (count < 0 || shown < 0 || documentCount < 0)
            {
                throw new ArgumentException("--sample, --top and --documents cannot be negative.");
            }

            CorpusSplit? which = splitName?.ToLowerInvariant() switch
            {
                null => null,
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
            AgentHost.AddValidatedOptions<ClassifierOptions>(builder.Services, ClassifierOptions.Section);
            using var host = builder.Build();
            var paths = (AgentPaths)host.Services.GetService(typeof(AgentPaths))!;
            var (policy, policyOptions) = PolicyReader.Read(host.Services);
            var classifierOptions = AgentHost.Options<ClassifierOptions>(host.Services, ClassifierOptions.Section);
            using var classifier = TagClassifier.Load(paths.Resolve(classifierOptions.WeightsPath),
                classifierOptions.EncoderPath is null ? null : paths.Resolve(classifierOptions.EncoderPath), classifierOptions.Threads);

            string source;
            IReadOnlyList<AuditSpan> spans;
            if (which is { } s)
            {
                var generated = CorpusGenerator.Generate(new CorpusOptions { Seed = parseResult.GetValue(corpusSeed), Documents = documentCount > 0 ? documentCount : recipe.Documents });
                spans = AuditSpans.FromSplit(generated, s);
                source = $"split {s.ToString().ToLowerInvariant()}";
            }
            else
            {
                var tagged = CorpusReader.Read(paths.Resolve(folder!), new DocumentTagger([new KeepTags()]), requireTags: false);
                foreach (var error in tagged.Errors)
                {
                    await Console.Error.WriteLineAsync($"skipped {error}").ConfigureAwait(false);
                }

                spans = AuditSpans.FromCorpus(tagged, classifier.Heads);
                source = $"corpus {folder}";
            }

            var total = spans.Count;
            spans = AuditSpans.Sample(spans, count, parseResult.GetValue(seed));
            if (spans.Count < total)
            {
                source += string.Create(CultureInfo.InvariantCulture, $", sample of {spans.Count} of {total} spans (seed {parseResult.GetValue(seed)})");
            }

            if (spans.Count == 0)
            {
                throw new ArgumentException($"The {source} holds no agent action to audit (answers or tool calls).");
            }

            var (loaded, decoder) = DecoderFactory.Create(host.Services, parseResult.GetValue(model));
            using (loaded)
            using (decoder)
            {
                var auditor = new TagAuditor(new ActionScorer(decoder), classifier);
                var progress = new Progress<int>(done =>
                {
                    if (done % 200 == 0)
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"audited {done} of {spans.Count} spans"));
                    }
                });
                var report = await auditor.AuditAsync(source, spans, (tool, tag) => new TagGate(PolicyReader.Threshold(policyOptions, tool, tag), policy.AggregateFor(tool)),
                    shown, progress, cancellationToken).ConfigureAwait(false);
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

    private static void Render(AuditReport report)
    {
        AnsiConsole.MarkupLine(Markup.Escape(F($"audit of {report.Source}: {report.Spans} spans in {report.Seconds:F0} s")));
        var table = new Table().AddColumns("tag", "spans", "model gate", "classifier threshold", "both / model only / classifier only / neither", "agreement", "kappa",
            "model AUROC on classifier flags", "classifier AUROC on model flags", "labels: model AUROC", "labels: classifier AUROC");
        foreach (var t in report.Tags)
        {
            var c = t.Confusion;
            table.AddRow(t.Tag, F($"{t.Spans}"), Markup.Escape(string.Join("; ", t.ModelGates.Select(g => F($"{g.Key} {g.Value.Aggregate} >= {g.Value.Threshold:F2}")))),
                F($"{t.ClassifierThreshold:F3}"), F($"{c.Both} / {c.ModelOnly} / {c.ClassifierOnly} / {c.Neither}"), F($"{t.Agreement:F3}"), Number(t.Kappa),
                Number(t.ModelAurocOnClassifierFlags), Number(t.ClassifierAurocOnModelFlags), Number(t.Generator?.ModelAuroc), Number(t.Generator?.ClassifierAuroc));
        }

        AnsiConsole.Write(table);
        foreach (var t in report.Tags)
        {
            Disagreements(F($"{t.Tag}: the model ranks higher than the classifier"), t.ModelHigher);
            Disagreements(F($"{t.Tag}: the classifier ranks higher than the model"), t.ClassifierHigher);
        }

        static void Disagreements(string title, IReadOnlyList<AuditDisagreement> list)
        {
            if (list.Count == 0)
            {
                return;
            }

            var table = new Table { Title = new TableTitle(Markup.Escape(title)) }.AddColumns("model", "classifier", "label", "context", "action");
            foreach (var d in list)
            {
                table.AddRow(F($"{d.ModelScore:F3}{(d.ModelFlagged ? " *" : string.Empty)}"), F($"{d.ClassifierScore:F3}{(d.ClassifierFlagged ? " *" : string.Empty)}"),
                    d.Label switch { true => "yes", false => "no", null => "-" }, Markup.Escape(Shorten(d.Context, 160)), Markup.Escape(d.Action));
            }

            AnsiConsole.Write(table);
        }

        static string Number(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";
        static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + "…";
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>Adds no span: a corpus folder's own tags are its labels.</summary>
    private sealed class KeepTags : ISpanTagger
    {
        public string Name => "corpus";

        public IReadOnlyList<TagSpan> Tag(TaggingInput input) => [];
    }
}
