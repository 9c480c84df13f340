using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Agent.Decoding;
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
/// <c>agent audit (--corpus DIR | --split S | --items FILE) [--fit-on S] [--sample N] [--seed N] [--top N] [--model PATH] [--spans-out FILE] [--policy-out FILE] [--json]</c>:
/// scores every span (agent action) with the model's teacher-forced temptation and with the classifier, and reports per
/// tag how far they agree at their thresholds (the policy's for the model, the weights' for the classifier), each one's
/// AUROC against the other's flags and against the source's own labels, the largest disagreements with their text, and
/// the signals table: model, classifier and their combination (a combiner fitted on <c>--fit-on</c>'s split, else
/// in-sample) per tag and kind of case, with recall and false positives as the gate decides. With <c>--fit-on</c>,
/// <c>--policy-out FILE</c> writes the fitted combiners as a policy fragment (<see cref="CombinerPolicy"/>) that
/// <c>agent --settings FILE ...</c> layers over appsettings.json.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var corpus = new Option<string?>("--corpus") { Description = "A folder of .txt / .jsonl (as agent train --corpus reads); its own tag spans, if any, are the labels" };
        var split = new Option<string?>("--split") { Description = "A split of the generated corpus (test, validation or train), with the generator's labels" };
        var items = new Option<string?>("--items")
        {
            Description = "Labelled items written outside the corpus (JSONL: agent score items with tag, label, kind; e.g. models/eval/independent-items.jsonl), per kind of case",
        };
        var sample = new Option<int>("--sample") { Description = "Audit this many spans, picked by a seeded shuffle (0 = all)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of --sample", DefaultValueFactory = _ => 1 };
        var top = new Option<int>("--top") { Description = "Disagreements to list each way per tag", DefaultValueFactory = _ => 10 };
        var model = new Option<string?>("--model") { Description = "GGUF model (default: Llama:ModelPath)" };
        var preset = new Option<string>("--preset") { Description = "The preset whose generated corpus --split reads", DefaultValueFactory = _ => "default" };
        var corpusSeed = new Option<int>("--corpus-seed") { Description = "The generated corpus's seed (the shipped model's is 1)", DefaultValueFactory = _ => 1 };
        var documents = new Option<int>("--documents") { Description = "Generate this many documents instead of the preset's (0 = the preset's)", DefaultValueFactory = _ => 0 };
        var fitOn = new Option<string?>("--fit-on")
        {
            Description = "Fit the signals' combiner (and choose its threshold) on this generated split (validation), scored too; default: on the audited spans (in-sample)",
        };
        var combinerScope = new Option<string>("--combiner")
        {
            Description = "per-outcome-flagged (the default): one combiner for answers after a failed command, one after a successful one, one after a success "
                + "when an earlier call was one the classifier flags; per-outcome: successes together; pooled: one for all",
            DefaultValueFactory = _ => "per-outcome-flagged",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var spansOut = new Option<string?>("--spans-out") { Description = "Also write every span's two signals to this JSONL file (id, tag, group, label, model, classifier, exit_code, fitting; for an answer after calls, earlier_call_risk and earlier_call_flagged)" };
        var policyOut = new Option<string?>("--policy-out")
        {
            Description = "Also write the fitted combiners as a policy fragment to this JSON file (per tag Signals: Combined, the weights, AfterFailure/AfterSuccess/AfterFlaggedCall "
                + "when fitted per outcome, Escalate at the combiner's threshold); needs --fit-on; relative to the current folder. Run the agent with it layered over appsettings.json: agent --settings FILE run ...",
        };
        var command = new Command("audit", "Compare the model's temptation with the classifier on every action: agreement, AUROCs, largest disagreements")
        {
            corpus, split, items, fitOn, combinerScope, sample, seed, top, model, preset, corpusSeed, documents, spansOut, policyOut, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var folder = parseResult.GetValue(corpus);
            var splitName = parseResult.GetValue(split);
            var itemsFile = parseResult.GetValue(items);
            if (new[] { folder, splitName, itemsFile }.Count(o => o is not null) != 1)
            {
                throw new ArgumentException("Give exactly one of --corpus DIR, --split test|validation|train or --items FILE.");
            }

            var count = parseResult.GetValue(sample);
            var shown = parseResult.GetValue(top);
            var documentCount = parseResult.GetValue(documents);
            if (count < 0 || shown < 0 || documentCount < 0)
            {
                throw new ArgumentException("--sample, --top and --documents cannot be negative.");
            }

            var which = SplitOf("--split", splitName);
            var fitSplit = SplitOf("--fit-on", parseResult.GetValue(fitOn));
            if (fitSplit is not null && fitSplit == which)
            {
                throw new ArgumentException("--fit-on names the audited split: leave it out to fit on the audited spans (in-sample).");
            }

            var policyFile = parseResult.GetValue(policyOut);
            if (policyFile is not null && fitSplit is null)
            {
                throw new ArgumentException("--policy-out needs --fit-on: a combiner fitted in-sample on the audited spans must not be shipped as policy; "
                    + "fit it on another split (--split test --fit-on validation --policy-out FILE).");
            }

            var scope = parseResult.GetValue(combinerScope) switch
            {
                "per-outcome-flagged" => CombinerScope.PerOutcomeAndFlaggedCall,
                "per-outcome" => CombinerScope.PerOutcome,
                "pooled" => CombinerScope.Pooled,
                var other => throw new ArgumentException($"--combiner '{other}' must be per-outcome-flagged, per-outcome or pooled."),
            };

            if (!TrainingPreset.All.TryGetValue(parseResult.GetValue(preset)!, out var recipe))
            {
                throw new ArgumentException($"--preset must be one of: {string.Join(", ", TrainingPreset.All.Keys)}.");
            }

            var builder = AgentHost.CreateBuilder(parseResult);
            AgentHost.AddPolicy(builder);
            AgentHost.AddValidatedOptions<ClassifierOptions>(builder.Services, ClassifierOptions.Section);
            ModelTranscriptFormat.Add(builder);
            using var host = builder.Build();
            var paths = (AgentPaths)host.Services.GetService(typeof(AgentPaths))!;

            // The model reads every span in the format the runtime shows it (its chat template's, or the project's own).
            var modelPath = paths.Resolve(parseResult.GetValue(model) ?? AgentHost.Options<Agent.Llama.LlamaOptions>(host.Services, Agent.Llama.LlamaOptions.Section).ModelPath);
            if (!File.Exists(modelPath))
            {
                throw new FileNotFoundException($"The model '{modelPath}' does not exist; pass --model or set Llama:ModelPath.", modelPath);
            }

            var format = ModelTranscriptFormat.ForFile(host.Services, modelPath);
            await Console.Error.WriteLineAsync($"transcript format {format.Name}").ConfigureAwait(false);
            var (policy, policyOptions) = PolicyReader.Read(host.Services);
            var classifierOptions = AgentHost.Options<ClassifierOptions>(host.Services, ClassifierOptions.Section);
            using var classifier = TagClassifier.Load(paths.Resolve(classifierOptions.WeightsPath),
                classifierOptions.EncoderPath is null ? null : paths.Resolve(classifierOptions.EncoderPath), classifierOptions.Threads);

            string source;
            IReadOnlyList<AuditSpan> spans;
            var generated = which is null && fitSplit is null ? null
                : CorpusGenerator.Generate(new CorpusOptions { Seed = parseResult.GetValue(corpusSeed), Documents = documentCount > 0 ? documentCount : recipe.Documents });
            if (which is { } s)
            {
                spans = AuditSpans.FromSplit(generated!, s, format);
                source = $"split {s.ToString().ToLowerInvariant()}";
            }
            else if (itemsFile is not null)
            {
                spans = AuditSpans.FromItems(LabelledItemReader.Read(paths.Resolve(itemsFile)), format);
                source = $"items {itemsFile}";
            }
            else
            {
                var tagged = CorpusReader.Read(paths.Resolve(folder!), new DocumentTagger([new KeepTags()]), requireTags: false);
                foreach (var error in tagged.Errors)
                {
                    await Console.Error.WriteLineAsync($"skipped {error}").ConfigureAwait(false);
                }

                spans = AuditSpans.FromCorpus(tagged, classifier.Heads, format);
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

            // The combiner's fitting spans: the same --sample and --seed as the audited ones, so a quick audit stays quick.
            string? fitSource = null;
            IReadOnlyList<AuditSpan>? fitSpans = null;
            if (fitSplit is { } f)
            {
                var all = AuditSpans.FromSplit(generated!, f, format);
                fitSpans = AuditSpans.Sample(all, count, parseResult.GetValue(seed));
                fitSource = $"split {f.ToString().ToLowerInvariant()}";
                if (fitSpans.Count < all.Count)
                {
                    fitSource += string.Create(CultureInfo.InvariantCulture, $", sample of {fitSpans.Count} of {all.Count} spans (seed {parseResult.GetValue(seed)})");
                }
            }

            var (loaded, decoder) = DecoderFactory.Create(host.Services, modelPath);
            using (loaded)
            using (decoder)
            {
                var auditor = new TagAuditor(new ActionScorer(decoder, format), classifier);
                var progress = new Progress<int>(done =>
                {
                    if (done % 200 == 0)
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scored {done} of {spans.Count + (fitSpans?.Count ?? 0)} spans"));
                    }
                });
                using var spanWriter = parseResult.GetValue(spansOut) is { } spansFile ? new StreamWriter(paths.Resolve(spansFile)) : null;
                var report = await auditor.AuditAsync(source, spans, new PolicyAuditGate(policy, policyOptions), shown, fitSource, fitSpans, progress,
                    spanWriter is null ? null : s => spanWriter.WriteLine(JsonSerializer.Serialize(s, JsonOutput.Options)), scope, cancellationToken)
                    .ConfigureAwait(false);
                if (policyFile is not null)
                {
                    if (report.Signals.Combiners.Count == 0)
                    {
                        throw new ArgumentException($"--policy-out: no tag has labelled spans of both classes in {fitSource}, so no combiner was fitted and there is no policy to write.");
                    }

                    // Relative to the current folder, as --settings reads it.
                    var fragment = Path.GetFullPath(policyFile);
                    await File.WriteAllTextAsync(fragment, CombinerPolicy.Write(report.Signals.Combiners, policyOptions, classifier.Heads.ToDictionary(h => h.Tag, h => h.Kind, StringComparer.Ordinal)) + "\n", cancellationToken).ConfigureAwait(false);
                    await Console.Error.WriteLineAsync($"wrote the policy fragment of {string.Join(", ", report.Signals.Combiners.Select(c => c.Tag))} to {fragment}; "
                        + $"use it with: agent --settings {fragment} run ...").ConfigureAwait(false);
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

    private static CorpusSplit? SplitOf(string option, string? name) => name?.ToLowerInvariant() switch
    {
        null => null,
        "test" => CorpusSplit.Test,
        "validation" => CorpusSplit.Validation,
        "train" => CorpusSplit.Train,
        _ => throw new ArgumentException($"{option} '{name}' must be test, validation or train."),
    };

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

        RenderSignals(report.Signals);

        static string Number(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";
        static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + "…";
    }

    private static void RenderSignals(SignalsReport signals)
    {
        var scope = signals.Scope switch
        {
            CombinerScope.PerOutcomeAndFlaggedCall => "per outcome of the last tool result, successes after a flagged call apart",
            CombinerScope.PerOutcome => "per outcome of the last tool result",
            _ => "pooled",
        };
        AnsiConsole.MarkupLine(Markup.Escape(F($"signals against the labels; combiner (logistic regression on the two logits, {scope}) fitted on {signals.FitOn}: ")
            + string.Join("; ", signals.Combiners.Select(c => F($"{c.Tag} {Weights(c.Combiner)}")
                + string.Concat(c.ByOutcome.Select(o => F($", after {o.Outcome.ToString().ToLowerInvariant()} {Weights(o.Combiner)}")))
                + F($", threshold {c.Threshold:F3}")))));
        foreach (var t in signals.Tables)
        {
            var table = new Table { Title = new TableTitle(Markup.Escape(t.Source + (t.CombinerInSample ? " (combiner in-sample)" : " (combiner held out)"))) }
                .AddColumns("tag", "kind", "pos / neg", "AUROC model / classifier / combined", "recall ≤2% FPR model / classifier / combined",
                    "shipped thresholds: recall (FPR) model / classifier / gate", "combiner at its threshold: recall (FPR)", "threshold ≤2% FPR model / classifier");
            foreach (var r in t.Rows)
            {
                table.AddRow(r.Tag, r.Group, F($"{r.Positives} / {r.Negatives}"),
                    $"{N(r.Model.Auroc)} / {N(r.Classifier.Auroc)} / {N(r.Combined.Auroc)}",
                    $"{N(r.Model.RecallAt2PercentFpr)} / {N(r.Classifier.RecallAt2PercentFpr)} / {N(r.Combined.RecallAt2PercentFpr)}",
                    $"{N(r.Model.Recall)} ({N(r.Model.FalsePositiveRate)}) / {N(r.Classifier.Recall)} ({N(r.Classifier.FalsePositiveRate)}) / {N(r.Combined.Recall)} ({N(r.Combined.FalsePositiveRate)})",
                    $"{N(r.CombinerRecall)} ({N(r.CombinerFalsePositiveRate)})",
                    $"{N(r.Model.ThresholdAt2PercentFpr)} / {N(r.Classifier.ThresholdAt2PercentFpr)}");
            }

            AnsiConsole.Write(table);
        }

        static string N(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";
        static string Weights(SignalCombiner c) => F($"{c.Intercept:F2} + {c.ModelWeight:F3}·logit(model) + {c.ClassifierWeight:F3}·logit(classifier)");
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The runtime's own policy as the audit reads it: the gate's decision is <see cref="ActionPolicy.Evaluate(string, GateSignals)"/> itself.</summary>
    private sealed class PolicyAuditGate(ActionPolicy policy, PolicyOptions options) : IAuditPolicy
    {
        public TagGate ModelGate(string tool, string tag) => new(PolicyReader.Threshold(options, tool, tag), policy.AggregateFor(tool));

        public double? ClassifierThreshold(string tool, string tag) => PolicyReader.ClassifierThreshold(options, tool, tag);

        // Only this tag's signals, so another tag cannot fire; a decision for the tool itself (forbidden, unnamed) names no tag.
        public bool Fires(string tool, string tag, TemptationAggregate? temptation, double? classifier, int? lastExitCode)
        {
            var decision = policy.Evaluate(tool, new GateSignals(
                temptation is { } t ? new Dictionary<string, TemptationAggregate> { [tag] = t } : new Dictionary<string, TemptationAggregate>(),
                classifier is { } p ? new Dictionary<string, double> { [tag] = p } : new Dictionary<string, double>())
            { LastExitCode = lastExitCode });
            return decision.Decision != Decision.Allow && decision.Tag == tag;
        }
    }

    /// <summary>Adds no span: a corpus folder's own tags are its labels.</summary>
    private sealed class KeepTags : ISpanTagger
    {
        public string Name => "corpus";

        public IReadOnlyList<TagSpan> Tag(TaggingInput input) => [];
    }
}
