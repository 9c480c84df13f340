using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Llama.Ggml;
using Agent.Llama.Gguf;
using Agent.Training.Corpus;
using Agent.Training.Engine;
using Agent.Training.Pipeline;

namespace Agent.Training.Tuning;

/// <summary>
/// <c>agent tune</c>: tag-tunes a pretrained llama-family GGUF. Adds the mode and behaviour tags as control tokens
/// (<see cref="TagTokenPlan"/>), renders the tagged corpus (with its <c>&lt;mode1&gt;</c> prose) in
/// <see cref="TuneOptions.Format"/>, tokenizes it with llama.cpp over the tuned vocabulary, trains LoRA adapters and the
/// new tag rows (or every weight) with AdamW on ggml, and writes the merged GGUF and, optionally, the adapter as a
/// llama.cpp LoRA GGUF. Everything that would make it fail (architecture, tensor types, memory, corpus, template) is
/// checked before training starts. Deterministic given the seed; an interrupted run resumes from its work folder. With
/// <see cref="TuneOptions.ModeHeadWeight"/> a mode head is trained with the tune and written beside the merged model.
/// </summary>
public static class TagTuner
{
    /// <summary>The tags every tuned model carries besides <see cref="TuneOptions.ExtraTags"/>.</summary>
    public static IReadOnlyList<string> CoreTags { get; } = ["mode1", "mode2", "powerseeking", "deceit"];

    /// <summary>
    /// Tokens of turn text (the task and a step or two) a window must hold beside a chat format's system prompt: every
    /// window starts where a document starts, so a window no longer than the prompt trains on the tool list alone.
    /// </summary>
    public const int MinimumTurnTokens = 128;

    /// <summary>How many training documents <c>corpus-sample.jsonl</c> holds.</summary>
    internal const int SampleDocuments = 16;

    private static readonly JsonSerializerOptions s_sampleJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Runs the tuning.</summary>
    /// <exception cref="UnsupportedBaseModelException">The base is not a llama-family GGUF this reads, or <see cref="TuneOptions.Format"/> is a chat format and the base has no chat template of its family.</exception>
    /// <exception cref="TuneMemoryException">The run would not fit in <see cref="TuneOptions.MemoryLimitBytes"/>.</exception>
    /// <exception cref="Tagging.CorpusException">The corpus folder holds no readable (or no tagged) document.</exception>
    /// <exception cref="Agent.Llama.GgufException">The base file is missing or not GGUF.</exception>
    /// <exception cref="TrainingDataException">The corpus is shorter than one window, or (with a mode head) has no Mode 1 or no Mode 2 token.</exception>
    /// <exception cref="ArgumentException">A mode head was asked for with <see cref="TuneOptions.Steps"/> 0.</exception>
    public static async Task<TuneResult> RunAsync(TuneOptions options, IProgress<string>? log = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TrainsModeHead && options.Steps == 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"A mode head (ModeHeadWeight {options.ModeHeadWeight}) is trained by the tune's updates, and Steps is 0; tune for at least one update or drop the mode head."), nameof(options));
        }

        using var model = BaseModel.Open(options.BasePath);
        CheckFormat(options.Format, model);
        string[] behaviours = ["powerseeking", "deceit", .. options.ExtraTags.Where(t => t is not ("powerseeking" or "deceit" or "mode1" or "mode2"))];
        var plan = TagTokenPlan.Create(model.Tokens, model.TokenTypes, ["mode1", "mode2", .. behaviours], model.Path);
        var window = Math.Min(options.WindowLength, model.ContextLength);
        var systemPrompt = SystemPrompt(options.Format);
        var promptTokens = systemPrompt is null ? 0 : CountTokens(model.Path, systemPrompt);
        if (systemPrompt is not null)
        {
            CheckWindowHoldsPrompt(options, model, window, promptTokens);
        }

        var estimate = TuneMemoryEstimate.For(model, plan, options.Mode, window, options.BatchSize, new FileInfo(model.Path).Length);
        var limit = options.MemoryLimitBytes ?? AvailableMemory();
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"base: {model.Architecture.Name}, {model.ParameterCount:N0} weights, {model.LayerCount} layers, width {model.EmbeddingSize}, vocabulary {model.VocabSize}{(model.Tied ? ", tied output" : string.Empty)}"));
        log?.Report($"tags: {plan.Added.Count} added ({string.Join(" ", plan.Added)}), {plan.Reused.Count} in reserved tokens ({string.Join(" ", plan.Reused)}), {plan.Kept.Count} kept ({string.Join(" ", plan.Kept)}); vocabulary {plan.BaseVocabSize} -> {plan.VocabSize}");
        log?.Report($"memory: about {estimate} of {TuneMemoryEstimate.Mib(limit)} allowed");
        if (estimate.TotalBytes > limit)
        {
            throw new TuneMemoryException(string.Create(CultureInfo.InvariantCulture,
                $"Tuning '{model.Path}' ({options.Mode}, {options.BatchSize} windows of {window} tokens) needs about {estimate}, more than the {TuneMemoryEstimate.Mib(limit)} {(options.MemoryLimitBytes is null ? "available" : "allowed")}. Use {(options.Mode.Full ? "LoRA instead of --full, " : string.Empty)}a smaller --batch or --window, a smaller base, or a machine with more memory."));
        }

        Directory.CreateDirectory(options.WorkDirectory);
        var tokenizerPath = Path.Combine(options.WorkDirectory, "tokenizer.gguf");
        TunedModelWriter.WriteVocabularyOnly(tokenizerPath, model, plan);
        int[] tokens = [];
        double? promptShare = null;
        int eos;
        int? turnStart;
        using (var tokenizer = LlamaModel.Load(tokenizerPath, new LlamaModelOptions { VocabOnly = true }))
        {
            CheckTagTokens(tokenizer, plan, model.Path);
            eos = tokenizer.Vocab.Eos.Value;
            turnStart = TurnStart(tokenizer, plan, options.Format);
            if (options.Steps > 0)
            {
                var documents = TrainingDocuments(options, behaviours, log);
                var sample = WriteSample(options.WorkDirectory, documents);
                log?.Report($"corpus sample: the first {SampleDocuments} documents as trained, in {sample}");
                tokens = Tokenize(tokenizer, documents);
                log?.Report(string.Create(CultureInfo.InvariantCulture, $"corpus: {documents.Count} documents, {tokens.Length:N0} tokens in the {options.Format.Name} transcript format"));
                if (systemPrompt is not null && tokens.Length > 0)
                {
                    var withPrompt = documents.Count(d => d.StartsWith(systemPrompt, StringComparison.Ordinal));
                    promptShare = Math.Min(1.0, (double)withPrompt * promptTokens / tokens.Length);
                    log?.Report(string.Create(CultureInfo.InvariantCulture,
                        $"system prompt: {promptTokens:N0} tokens at the start of {withPrompt} of {documents.Count} documents, {promptShare * 100:F0}% of the training tokens"));
                }

                if (tokens.Length < window + 1)
                {
                    throw new TrainingDataException($"The corpus has {tokens.Length} tokens; one window needs {window + 1}. Pass more text or a smaller window.");
                }

                if (options.TrainsModeHead)
                {
                    CheckModeSpans(tokens, ModeTokens(plan, turnStart), eos, options, log);
                }
            }
        }

        using var backend = options.Device switch
        {
            TrainingDevice.Cpu => GgmlBackend.Cpu(options.Threads),
            _ => GgmlBackend.Best(options.Threads),
        };
        using var graph = new TuneGraph(model, plan, options.Mode, backend, options.Seed, options.TrainsModeHead, options.ModeHeadHidden);
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"training: {options.Mode}, {graph.TrainableCount:N0} trained values on {backend.Name}"));
        using var session = new TuneSession(graph, backend, options, window, eos, options.TrainsModeHead ? ModeTokens(plan, turnStart) : null);
        var run = options.Steps > 0
            ? await Task.Run(() => session.Train(tokens, log, progress, cancellationToken), cancellationToken).ConfigureAwait(false)
            : new TuneSession.Outcome(double.NaN, double.NaN, 0, TimeSpan.Zero, 0);

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["agent.tune.base"] = Path.GetFileName(model.Path),
            ["agent.tune.mode"] = options.Mode.ToString(),
            ["agent.tune.steps"] = session.CompletedSteps.ToString(CultureInfo.InvariantCulture),
            ["agent.tune.seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["agent.tune.corpus"] = options.CorpusDirectory is null ? "synthetic" : "user",
            ["agent.tune.tags"] = string.Join(",", ["mode1", "mode2", .. behaviours]),
        };
        TunedModelWriter.WriteMerged(options.OutputPath, graph, options.OutputType, metadata);
        log?.Report($"wrote {options.OutputPath}");
        string? headPath = null;
        if (graph.HasModeHead)
        {
            // llama.cpp refuses a GGUF with tensors its architecture does not create, so the head lives beside the
            // merged model, bound to it by the merged file's fingerprint.
            var (weights, bias, hiddenWeights, hiddenBias) = graph.ReadModeHead();
            headPath = ModeHead.Write(options.OutputPath, weights, bias, hiddenWeights, hiddenBias);
            log?.Report($"wrote mode head {headPath}");
        }
        else if (File.Exists(ModeHead.PathFor(options.OutputPath)))
        {
            File.Delete(ModeHead.PathFor(options.OutputPath)); // the head of the model this one replaces
        }

        string? adapterBase = null;
        if (options.AdapterPath is { } adapter && !options.Mode.Full)
        {
            TunedModelWriter.WriteAdapter(adapter, graph);
            if (plan.NewIds.Count > 0)
            {
                adapterBase = Path.ChangeExtension(adapter, null) + ".base.gguf";
                TunedModelWriter.WriteTaggedBase(adapterBase, graph, options.OutputType, metadata);
            }

            log?.Report(adapterBase is null ? $"wrote adapter {adapter}" : $"wrote adapter {adapter} for the tag-extended base {adapterBase}");
        }

        return new TuneResult(options.OutputPath, options.Mode.Full ? null : options.AdapterPath, adapterBase, options.Mode, plan.BaseVocabSize, plan.VocabSize,
            plan.Added, plan.Reused, plan.Kept, graph.TrainableCount, tokens.Length, session.CompletedSteps, run.FirstLoss, run.FinalLoss, run.TokensPerSecond,
            run.TrainingTime, estimate.TotalBytes, Process.GetCurrentProcess().PeakWorkingSet64, backend.Name, run.ResumedAt)
        {
            ModeHeadPath = headPath,
            ModeHeadLosses = run.ModeHeadLosses,
            SystemPromptTokens = systemPrompt is null ? null : promptTokens,
            SystemPromptShare = promptShare,
        };
    }

    /// <summary>The rendered system message a chat format starts every transcript with (its tool list); null for the project's format.</summary>
    internal static string? SystemPrompt(ITranscriptFormat format) => format is IChatTranscriptFormat ? format.Render(new Conversation([])) : null;

    /// <summary>Tokens of <paramref name="text"/> in the tokenizer of the GGUF at <paramref name="path"/> (its vocabulary only is loaded).</summary>
    private static int CountTokens(string path, string text)
    {
        using var tokenizer = LlamaModel.Load(path, new LlamaModelOptions { VocabOnly = true });
        return tokenizer.Vocab.Tokenize(text, addSpecial: false, parseSpecial: true).Length;
    }

    /// <summary>
    /// Refuses a window that cannot hold the chat format's system prompt and <see cref="MinimumTurnTokens"/> of turn text:
    /// each document's first window would then train on the tool list alone.
    /// </summary>
    private static void CheckWindowHoldsPrompt(TuneOptions options, BaseModel model, int window, int promptTokens)
    {
        var smallest = promptTokens + MinimumTurnTokens;
        if (window >= smallest)
        {
            return;
        }

        var what = string.Create(CultureInfo.InvariantCulture,
            $"The {options.Format.Name} system prompt (the instructions and the tool list every transcript starts with) is {promptTokens:N0} tokens in '{model.Path}'s tokenizer, and every window starts where a document starts, so a window needs it plus at least {MinimumTurnTokens} tokens of the task and steps: {smallest:N0} tokens.");
        throw new ArgumentException(smallest <= model.ContextLength
            ? string.Create(CultureInfo.InvariantCulture, $"{what} --window {options.WindowLength} is too small; pass --window {smallest} or more (the base's context is {model.ContextLength:N0}), or tune in the project's format (--format own).")
            : string.Create(CultureInfo.InvariantCulture, $"{what} The base's context is {model.ContextLength:N0} tokens, too short for that; tune it in the project's format (--format own)."));
    }

    /// <summary>The memory this process may still use: MemAvailable (Linux), bounded by the GC's limit (a container's).</summary>
    internal static long AvailableMemory()
    {
        var gc = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                    return Math.Min(gc, kb * 1024);
                }
            }
        }
        catch (IOException)
        {
        }

        return gc;
    }

    /// <summary>
    /// The training documents: the synthetic corpus (prose in <c>&lt;mode1&gt;</c> mixed with <c>&lt;mode2&gt;</c>
    /// transcripts), or the user's folder tagged by the rule-based tagger, each rendered by <see cref="Render"/>;
    /// behaviour tags open late, as <c>agent train</c> does.
    /// </summary>
    internal static List<string> TrainingDocuments(TuneOptions options, string[] behaviours, IProgress<string>? log)
    {
        string RenderIn(Conversation conversation) => Render(conversation, options.Format);
        if (options.CorpusDirectory is not null)
        {
            var pipeline = new PipelineOptions { ModelPath = options.OutputPath, WorkDirectory = options.WorkDirectory, CorpusDirectory = options.CorpusDirectory, Seed = options.Seed };
            var (train, validation) = TrainingPipeline.TrainingText(pipeline, behaviours, log, RenderIn);
            return [.. train, .. validation];
        }

        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = options.Seed, Documents = options.Documents });
        var random = new Random(options.Seed);
        return corpus.DocumentsIn(CorpusSplit.Train)
            .Select(d => LateTagAugmenter.Apply(RenderIn(d.Conversation), random, behaviours, TrainingPreset.Default.LateTagFraction))
            .ToList();
    }

    /// <summary>
    /// One training document as the tuned model will read it: a conversation (a task, steps, tool results) in
    /// <paramref name="format"/>, the runtime's format for the tuned model; a plain document (prose turns only) as
    /// <c>&lt;mode1&gt;</c> text in the project's format in every format, because no runtime prompt holds prose and the
    /// <c>&lt;mode1&gt;</c> tag is what marks it as text (a chat template's user turn carries no mode tag).
    /// </summary>
    internal static string Render(Conversation conversation, ITranscriptFormat format) =>
        conversation.Turns.Length > 0 && conversation.Turns.All(t => t is ProseTurn) ? TranscriptFormat.Default.Render(conversation) : format.Render(conversation);

    /// <summary>Refuses a chat format for a base without a chat template of the format's family.</summary>
    private static void CheckFormat(ITranscriptFormat format, BaseModel model)
    {
        if (format is not IChatTranscriptFormat chat)
        {
            return;
        }

        if (model.ChatTemplate is null)
        {
            throw new UnsupportedBaseModelException(
                $"'{model.Path}' has no chat template (tokenizer.chat_template), so it cannot be tuned in a chat format; tune it in the project's transcript format (--format own), or tune the instruct variant of the model.");
        }

        ChatTemplateFamily family;
        try
        {
            family = TranscriptFormat.DetectFamily(model.ChatTemplate);
        }
        catch (TranscriptFormatException e)
        {
            throw new UnsupportedBaseModelException($"'{model.Path}': {e.Message}");
        }

        if (family != chat.Family)
        {
            throw new UnsupportedBaseModelException($"'{model.Path}' has a {family} chat template, and the corpus was to be rendered in {chat.Name}; render it in the base's own format.");
        }
    }

    /// <summary>
    /// Writes the first <see cref="SampleDocuments"/> training documents, exactly as they are tokenized, to
    /// <c>corpus-sample.jsonl</c> in the work folder (<c>{"text": ...}</c> per line): what the tuned model reads, to check.
    /// </summary>
    private static string WriteSample(string workDirectory, List<string> documents)
    {
        var path = Path.Combine(workDirectory, "corpus-sample.jsonl");
        File.WriteAllLines(path, documents.Take(SampleDocuments).Select(d => JsonSerializer.Serialize(new { text = d }, s_sampleJson)));
        return path;
    }

    /// <summary>The ids of <c>&lt;mode1&gt;</c> and <c>&lt;mode2&gt;</c> in the tuned vocabulary (every plan has both), and the chat template's turn start.</summary>
    private static (int Plain, int Agent, int? TurnStart) ModeTokens(TagTokenPlan plan, int? turnStart)
    {
        var tokens = plan.Tokens.ToList();
        return (tokens.IndexOf("<mode1>"), tokens.IndexOf("<mode2>"), turnStart);
    }

    /// <summary>
    /// The control token a chat format opens every message with (<c>&lt;|im_start|&gt;</c>, <c>&lt;|start_header_id|&gt;</c>),
    /// read from a rendered message; null for the project's format or a base that spells it in several tokens.
    /// </summary>
    private static int? TurnStart(LlamaModel tokenizer, TagTokenPlan plan, ITranscriptFormat format)
    {
        if (format is not IChatTranscriptFormat chat)
        {
            return null;
        }

        var first = tokenizer.Vocab.Tokenize(chat.RenderTurn(new TaskTurn("x")), addSpecial: false, parseSpecial: true)[0].Value;
        return plan.TokenTypes[first] == GgufVocabulary.Control ? first : null;
    }

    /// <summary>Refuses a corpus the head cannot learn from: it needs tokens in Mode 1 spans and in Mode 2 spans.</summary>
    private static void CheckModeSpans(int[] tokens, (int Plain, int Agent, int? TurnStart) ids, int eos, TuneOptions options, IProgress<string>? log)
    {
        var labels = ModeLabels.PerToken(tokens, 0, ids.Plain, ids.Agent, eos, ids.TurnStart);
        long plain = 0, agent = 0;
        foreach (var label in labels)
        {
            plain += label == 0 ? 1 : 0;
            agent += label == 1 ? 1 : 0;
        }

        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"mode head: {(options.ModeHeadHidden > 0 ? $"a hidden layer of {options.ModeHeadHidden}" : "linear")}; its loss counts {options.ModeHeadWeight} times beside the language model's; {plain:N0} tokens in Mode 1 spans, {agent:N0} in Mode 2, {tokens.Length - plain - agent:N0} unlabelled"));
        if (plain == 0 || agent == 0)
        {
            throw new TrainingDataException(string.Create(CultureInfo.InvariantCulture,
                $"The mode head needs tokens in both modes, and the corpus{(options.CorpusDirectory is { } dir ? $" '{dir}'" : string.Empty)} has {plain} in Mode 1 spans (after <mode1>) and {agent} in Mode 2 spans (after <mode2>). Give it text of both kinds (prose and agent transcripts) or tune without --mode-head-weight."));
        }
    }

    private static void CheckTagTokens(LlamaModel tokenizer, TagTokenPlan plan, string path)
    {
        for (var id = 0; id < plan.VocabSize; id++)
        {
            if (plan.TokenTypes[id] != GgufVocabulary.Control || !plan.Tokens[id].StartsWith('<') || plan.Tokens[id].StartsWith("<|", StringComparison.Ordinal))
            {
                continue;
            }

            var ids = tokenizer.Vocab.Tokenize(plan.Tokens[id], addSpecial: false, parseSpecial: true);
            if (plan.NewIds.Contains(id) && (ids.Length != 1 || ids[0].Value != id))
            {
                throw new UnsupportedBaseModelException(
                    $"llama.cpp does not read '{plan.Tokens[id]}' as the single token {id} in the tuned vocabulary of '{path}' (got {ids.Length} tokens); its tokenizer type is not one tags can be added to.");
            }
        }
    }

    private static int[] Tokenize(LlamaModel tokenizer, List<string> documents)
    {
        var eos = tokenizer.Vocab.Eos.Value;
        var tokens = new List<int>();
        foreach (var document in documents)
        {
            foreach (var token in tokenizer.Vocab.Tokenize(document, addSpecial: true, parseSpecial: true))
            {
                tokens.Add(token.Value);
            }

            tokens.Add(eos);
        }

        return [.. tokens];
    }
}
