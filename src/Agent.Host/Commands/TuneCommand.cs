using System.CommandLine;
using System.Globalization;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.Training.Engine;
using Agent.Training.Tuning;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent tune --base MODEL.gguf [--corpus DIR] [--lora-rank R [--lora-alpha A] | --full] [--steps N] [--gpu] [--seed S]
/// [--adapter-out A.gguf] [--format auto|own|chat] [--mode-head-weight W [--mode-head-hidden N]] --out OUT.gguf</c>: tag-tunes a pretrained llama-family GGUF (see <see cref="TagTuner"/>).
/// Prints the memory estimate before starting and refuses a run that will not fit; resumes from its work folder. The
/// corpus is rendered in the format the runtime will show the tuned model (<see cref="ModelTranscriptFormat"/>): its chat
/// template when the base has one (<c>--format auto</c>, the default), or the project's own format (<c>--format own</c>).
/// </summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var baseModel = new Option<string>("--base") { Description = "The pretrained GGUF to tune (llama, mistral or qwen2; F32, F16, BF16, Q8_0 or Q4_K)", Required = true };
        var output = new Option<string>("--out") { Description = "The tuned (merged) GGUF to write", Required = true };
        var corpus = new Option<string?>("--corpus") { Description = "A folder of .txt / .jsonl to tag (rules) and tune on instead of the synthetic corpus" };
        var rank = new Option<int?>("--lora-rank") { Description = "LoRA rank (default 8)" };
        var alpha = new Option<float?>("--lora-alpha") { Description = "LoRA alpha (default twice the rank)" };
        var full = new Option<bool>("--full") { Description = "Train every weight instead of LoRA adapters" };
        var steps = new Option<long>("--steps") { Description = "Optimizer updates (0: add the tags only)", DefaultValueFactory = _ => 300 };
        var batch = new Option<int>("--batch") { Description = "Windows per update", DefaultValueFactory = _ => 4 };
        var window = new Option<int>("--window") { Description = "Tokens per window (at most the model's context)", DefaultValueFactory = _ => 256 };
        var rate = new Option<float>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 1e-3f };
        var documents = new Option<int>("--documents") { Description = "Synthetic documents to generate when no --corpus is given", DefaultValueFactory = _ => 4000 };
        var seed = new Option<int>("--seed") { Description = "Seed of corpus, initialisation and batches", DefaultValueFactory = _ => 1 };
        var adapterOut = new Option<string?>("--adapter-out") { Description = "Also write the LoRA adapter GGUF (and the tag-extended base it applies to, beside it)" };
        var work = new Option<string?>("--work") { Description = "Working folder for the tokenizer and checkpoints (default: data/tune-<base name>)" };
        var outType = new Option<string>("--out-type") { Description = "Type of the written weights: f32, f16, q8_0 or q4_k", DefaultValueFactory = _ => "f32" };
        var maxMemory = new Option<long?>("--max-memory") { Description = "Refuse a run estimated above this many MiB (default: the memory available)" };
        var format = new Option<string>("--format")
        {
            Description = "Transcript format of the corpus: auto (the base's chat template when it has one, as the runtime will use it; else the project's), own (the project's), chat (the chat template; refused without one)",
            DefaultValueFactory = _ => "auto",
        };
        var gpu = new Option<bool>("--gpu") { Description = "Train on the CUDA backend when a GPU is present" };
        var modeHead = new ModeHeadArguments("merged model");
        var command = new Command("tune", "Tag-tune a pretrained GGUF: tags as control tokens, LoRA + tag rows, merged GGUF")
        {
            baseModel, output, corpus, documents, rank, alpha, full, steps, batch, window, rate, seed, adapterOut, work, outType, maxMemory, format, gpu, modeHead.Weight, modeHead.Hidden,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var isFull = parseResult.GetValue(full);
            if (isFull && (parseResult.GetValue(rank) is not null || parseResult.GetValue(alpha) is not null || parseResult.GetValue(adapterOut) is not null))
            {
                throw new ArgumentException("--full trains every weight: it takes no --lora-rank, --lora-alpha or --adapter-out.");
            }

            var (modeHeadWeight, modeHeadHidden) = modeHead.Read(parseResult);

            if (modeHeadWeight > 0f && parseResult.GetValue(steps) == 0)
            {
                throw new ArgumentException("--mode-head-weight trains a head during the tune's updates, and --steps is 0; pass --steps 1 or more, or drop --mode-head-weight.");
            }

            var mode = isFull ? TuneMode.FullWeights : TuneMode.Lora(Check(parseResult.GetValue(rank) ?? 8, 1, 1024, "--lora-rank"), parseResult.GetValue(alpha));
            var type = parseResult.GetValue(outType)!.ToLowerInvariant() switch
            {
                "f32" => GgufTensorType.F32,
                "f16" => GgufTensorType.F16,
                "q8_0" => GgufTensorType.Q8_0,
                "q4_k" => GgufTensorType.Q4_K,
                var other => throw new ArgumentException($"--out-type '{other}' is not known; use f32, f16, q8_0 or q4_k."),
            };

            var builder = AgentHost.CreateBuilder(parseResult);
            ModelTranscriptFormat.Add(builder);
            using var host = builder.Build();
            AgentHost.InitializeLlama(host.Services);
            var paths = (AgentPaths)host.Services.GetService(typeof(AgentPaths))!;
            var llama = AgentHost.Options<LlamaOptions>(host.Services, LlamaOptions.Section);
            var tags = AgentHost.Options<TagOptions>(host.Services, TagOptions.Section);
            var basePath = paths.Resolve(parseResult.GetValue(baseModel)!);
            if (!File.Exists(basePath))
            {
                throw new FileNotFoundException($"--base '{basePath}' does not exist; pass a llama, mistral or qwen2 GGUF.", basePath);
            }

            var transcript = TranscriptFor(host.Services, basePath, parseResult.GetValue(format)!);
            if (transcript is IChatTranscriptFormat && parseResult.GetValue(corpus) is not null)
            {
                Console.Error.WriteLine($"tune: the --corpus documents are rendered in the base's {transcript.Name} chat template (their prose as <mode1> text); pass --format own for the project's format.");
            }

            var options = new TuneOptions
            {
                BasePath = basePath,
                OutputPath = paths.Resolve(parseResult.GetValue(output)!),
                AdapterPath = parseResult.GetValue(adapterOut) is { } a ? paths.Resolve(a) : null,
                WorkDirectory = paths.Resolve(parseResult.GetValue(work) ?? $"data/tune-{Path.GetFileNameWithoutExtension(basePath)}"),
                CorpusDirectory = parseResult.GetValue(corpus) is { } dir ? paths.Resolve(dir) : null,
                ExtraTags = [.. tags.All.Where(t => t is not ("mode1" or "mode2" or "deceit" or "powerseeking"))],
                Mode = mode,
                Steps = parseResult.GetValue(steps),
                BatchSize = parseResult.GetValue(batch),
                WindowLength = parseResult.GetValue(window),
                LearningRate = parseResult.GetValue(rate),
                Seed = parseResult.GetValue(seed),
                Documents = parseResult.GetValue(documents),
                Threads = llama.EffectiveThreads,
                UseGpu = parseResult.GetValue(gpu),
                OutputType = type,
                ModeHeadWeight = modeHeadWeight,
                ModeHeadHidden = modeHeadHidden,
                Format = transcript,
                MemoryLimitBytes = parseResult.GetValue(maxMemory) is { } mib ? Check(mib, 1, long.MaxValue / 1048576, "--max-memory") * 1048576 : null,
            };

            TuneResult? result = null;
            var console = AnsiConsole.Console;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var bar = context.AddTask("preparing", maxValue: Math.Max(1, options.Steps));
                    var log = new Progress<string>(message => console.MarkupLine($"[grey]{Markup.Escape(message)}[/]"));
                    var training = new Progress<TrainingProgress>(p =>
                    {
                        bar.Value = p.Step;
                        bar.Description = string.Create(CultureInfo.InvariantCulture, $"loss {p.Loss:F3} {p.TokensPerSecond:F0} tok/s ETA {p.EstimatedRemaining:hh\\:mm\\:ss}");
                    });
                    result = await TagTuner.RunAsync(options, log, training, cancellationToken).ConfigureAwait(false);
                    bar.Value = bar.MaxValue;
                }).ConfigureAwait(false);

            var r = result!;
            if (r.SystemPromptTokens is { } promptTokens)
            {
                // With a chat template every document starts with the system prompt: say how much of the training it is.
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"tune: the {options.Format.Name} system prompt is {promptTokens:N0} tokens{(r.SystemPromptShare is { } share ? $", {share * 100:F0}% of the {r.TrainingTokens:N0} training tokens" : string.Empty)}; a window needs at least {promptTokens + TagTuner.MinimumTurnTokens:N0} (--window {options.WindowLength})")).ConfigureAwait(false);
            }

            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[green]wrote[/] {Markup.Escape(r.OutputPath)}: {r.Mode}, vocabulary {r.BaseVocabularySize} -> {r.VocabularySize}, {r.Steps} updates, loss {r.FirstLoss:F3} -> {r.FinalLoss:F3}, {r.TokensPerSecond:F0} tokens/s on {Markup.Escape(r.Device)}, {r.TrainingTime:hh\\:mm\\:ss}, peak memory {r.PeakWorkingSetBytes / 1048576.0:F0} MiB (estimated {r.EstimatedBytes / 1048576.0:F0} MiB)"));
            if (r.AdapterPath is not null)
            {
                console.MarkupLine($"[green]wrote[/] adapter {Markup.Escape(r.AdapterPath)}{(r.AdapterBasePath is null ? string.Empty : $" for {Markup.Escape(r.AdapterBasePath)}")}");
            }

            if (r.ModeHeadPath is not null)
            {
                console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"[green]wrote[/] mode head {Markup.Escape(r.ModeHeadPath)}: its loss {r.ModeHeadLosses.Take(5).DefaultIfEmpty(double.NaN).Average():F3} -> {r.ModeHeadLosses.TakeLast(5).DefaultIfEmpty(double.NaN).Average():F3} (mean of the first and last 5 updates of this run)"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The transcript format <c>--format</c> names for the base, checked before any work.</summary>
    /// <exception cref="ArgumentException">An unknown value, <c>chat</c> for a base without a template, or a template the runtime does not lay out.</exception>
    private static ITranscriptFormat TranscriptFor(IServiceProvider services, string basePath, string choice)
    {
        switch (choice.ToLowerInvariant())
        {
            case "own":
                return TranscriptFormat.Default;
            case "chat" when ModelTranscriptFormat.ChatTemplateOf(basePath) is null:
                throw new ArgumentException(
                    $"--format chat: '{basePath}' has no chat template (tokenizer.chat_template); tune it in the project's format (--format own, or leave --format out), or tune the instruct variant of the model.");
            case "chat" or "auto":
                return ModelTranscriptFormat.ForFile(services, basePath, "Or tune it in the project's transcript format: --format own.");
            default:
                throw new ArgumentException($"--format '{choice}' is not known; use auto (the default), own or chat.");
        }
    }

    private static T Check<T>(T value, T min, T max, string option)
        where T : System.Numerics.INumber<T> =>
        value >= min && value <= max ? value : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option} {value} must be between {min} and {max}."));
}
