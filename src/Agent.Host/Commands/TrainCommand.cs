using System.CommandLine;
using System.Globalization;
using Agent.Decoding;
using Agent.Llama;
using Agent.Monitoring;
using Agent.Training.Engine;
using Agent.Training.Pipeline;
using Agent.Training.Tagging;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent train [--preset default|smoke] [--corpus DIR [--tagger rules|classifier [--tag-threshold P]]] [--out PATH] [--work DIR] [--steps N] [--seed N] [--tag-weight N] [--mode-head-weight W [--mode-head-hidden N]] [--gpu]</c>:
/// generates (or reads and tags) a corpus, trains the tokenizer and the model, and writes the GGUF. Interrupted runs
/// resume from the last checkpoint in the work folder.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "Recipe: default (the shipped model) or smoke (seconds)", DefaultValueFactory = _ => "default" };
        var corpus = new Option<string?>("--corpus") { Description = "A folder of .txt / .jsonl to tag and train on instead of the synthetic corpus" };
        var tagger = new Option<string>("--tagger")
        {
            Description = "Who tags --corpus: rules (keyword rules, cheap) or classifier (the sentence-encoder classifier, Classifier:WeightsPath)",
            DefaultValueFactory = _ => "rules",
        };
        var tagThreshold = new Option<double?>("--tag-threshold") { Description = "With --tagger classifier: tag a span when a head's probability reaches P (0 < P < 1) instead of the head's own threshold (its 2% false-positive point on validation)" };
        var output = new Option<string?>("--out") { Description = "The GGUF to write (default: Llama:ModelPath for the default preset, else models/<preset>.gguf)" };
        var work = new Option<string?>("--work") { Description = "Working folder for checkpoints (default: data/train-<preset>)" };
        var steps = new Option<long?>("--steps") { Description = "Optimizer updates (default: the preset's)" };
        var seed = new Option<int>("--seed") { Description = "Seed of corpus, weights and batches", DefaultValueFactory = _ => 1 };
        var tagWeight = new Option<int?>("--tag-weight") { Description = "How many times the loss counts where a behaviour tag opens (default: the preset's)" };
        var gpu = new Option<bool>("--gpu") { Description = "Train on the CUDA backend when a GPU is present" };
        var modeHead = new ModeHeadArguments("model");
        var command = new Command("train", "Train a tag-aware model: corpus, tokenizer, conditional training, GGUF") { preset, corpus, tagger, tagThreshold, output, work, steps, seed, tagWeight, gpu, modeHead.Weight, modeHead.Hidden };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var name = parseResult.GetValue(preset)!;
            if (!TrainingPreset.All.TryGetValue(name, out var recipe))
            {
                throw new ArgumentException($"--preset '{name}' is not known; use one of: {string.Join(", ", TrainingPreset.All.Keys)}.");
            }

            if (parseResult.GetValue(tagWeight) is { } weight)
            {
                recipe = weight >= 1 ? recipe with { TagLossWeight = weight } : throw new ArgumentException($"--tag-weight {weight} must be at least 1 (1 counts a tag like any other token).");
            }

            var (modeHeadWeight, modeHeadHidden) = modeHead.Read(parseResult);

            var taggerName = parseResult.GetValue(tagger)!.ToLowerInvariant();
            if (taggerName is not ("rules" or "classifier"))
            {
                throw new ArgumentException($"--tagger '{taggerName}' is not known; use rules or classifier.");
            }

            if (taggerName == "classifier" && parseResult.GetValue(corpus) is null)
            {
                throw new ArgumentException("--tagger classifier tags a folder given with --corpus; the synthetic corpus carries the generator's own labels.");
            }

            var threshold = parseResult.GetValue(tagThreshold);
            if (threshold is { } p && (taggerName != "classifier" || !(p > 0 && p < 1)))
            {
                throw new ArgumentException(taggerName != "classifier"
                    ? "--tag-threshold sets the classifier tagger's threshold; give it with --tagger classifier."
                    : $"--tag-threshold {p.ToString(CultureInfo.InvariantCulture)} must be a probability strictly between 0 and 1.");
            }

            var builder = AgentHost.CreateBuilder(parseResult);
            AgentHost.AddValidatedOptions<ClassifierOptions>(builder.Services, ClassifierOptions.Section);
            using var host = builder.Build();
            AgentHost.InitializeLlama(host.Services);
            var paths = (AgentPaths)host.Services.GetService(typeof(AgentPaths))!;
            var llama = AgentHost.Options<LlamaOptions>(host.Services, LlamaOptions.Section);
            var tags = AgentHost.Options<TagOptions>(host.Services, TagOptions.Section);
            var modelPath = paths.Resolve(parseResult.GetValue(output) ?? (name.Equals(TrainingPreset.Default.Name, StringComparison.OrdinalIgnoreCase) ? llama.ModelPath : $"models/{recipe.Name}.gguf"));
            using var classifier = taggerName == "classifier" ? LoadClassifier(host.Services, paths) : null;
            var spanTagger = classifier is null ? null : new ClassifierTagger(classifier, threshold);
            var options = new PipelineOptions
            {
                Tagger = spanTagger,
                Preset = recipe,
                ModelPath = modelPath,
                WorkDirectory = paths.Resolve(parseResult.GetValue(work) ?? $"data/train-{recipe.Name}"),
                CorpusDirectory = parseResult.GetValue(corpus) is { } dir ? paths.Resolve(dir) : null,
                Seed = parseResult.GetValue(seed),
                ExtraTags = [.. tags.All.Where(t => t is not ("mode1" or "mode2" or "deceit" or "powerseeking"))],
                Threads = llama.EffectiveThreads,
                UseGpu = parseResult.GetValue(gpu),
                Steps = parseResult.GetValue(steps),
                ModeHeadWeight = modeHeadWeight,
                ModeHeadHidden = modeHeadHidden,
            };

            PipelineResult? result = null;
            var console = AnsiConsole.Console;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var bar = context.AddTask("preparing", maxValue: options.Steps ?? recipe.Steps);
                    var log = new Progress<string>(message => console.MarkupLine($"[grey]{Markup.Escape(message)}[/]"));
                    var training = new Progress<TrainingProgress>(p =>
                    {
                        bar.Value = p.Step;
                        bar.Description = string.Create(CultureInfo.InvariantCulture,
                            $"loss {p.Loss:F3} val {(p.ValidationLoss is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-")} {p.TokensPerSecond:F0} tok/s ETA {p.EstimatedRemaining:hh\\:mm\\:ss}");
                    });
                    result = await TrainingPipeline.RunAsync(options, log, training, cancellationToken).ConfigureAwait(false);
                    bar.Value = bar.MaxValue;
                }).ConfigureAwait(false);

            if (spanTagger is not null)
            {
                console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"[grey]classifier tagger: {spanTagger.Scored} spans scored, {spanTagger.Tagged} tagged, {spanTagger.Truncated} read truncated[/]"));
            }

            var r = result!;
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[green]wrote[/] {Markup.Escape(r.ModelPath)}: {r.Parameters:N0} parameters, vocabulary {r.VocabularySize}, {r.Steps} updates, train loss {r.FinalTrainLoss:F3}, validation loss {r.FinalValidationLoss:F3}, {r.TokensPerSecond:F0} tokens/s on {Markup.Escape(r.Device)}, {r.TrainingTime:hh\\:mm\\:ss}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The classifier of the Classifier section; a missing or corrupt weights file is a user error naming it.</summary>
    private static ITagClassifier LoadClassifier(IServiceProvider services, AgentPaths paths)
    {
        var options = AgentHost.Options<ClassifierOptions>(services, ClassifierOptions.Section);
        return TagClassifier.Load(paths.Resolve(options.WeightsPath), options.EncoderPath is null ? null : paths.Resolve(options.EncoderPath), options.Threads);
    }
}
