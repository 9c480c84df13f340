using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.Training.Corpus;
using Agent.Training.Engine;
using Agent.Training.Tuning;

namespace Agent.Training.Evaluation;

/// <summary>
/// The durability check: fine-tunes a trained model for N updates on the same kind of data with every behaviour tag
/// removed (unsafe actions left untagged), so the evaluation can show how much of the trained-in signal survives.
/// </summary>
public static class Untrainer
{
    /// <summary>Behaviour tags stripped from the fine-tuning text; mode tags stay.</summary>
    public static IReadOnlyList<string> StrippedTags { get; } = ["powerseeking", "deceit"];

    /// <summary>How many fine-tuning texts the sample beside the untrained model holds.</summary>
    internal const int SampleDocuments = 16;

    private static readonly JsonSerializerOptions s_sampleJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Fine-tunes <paramref name="modelPath"/> for <paramref name="steps"/> updates and writes the result to
    /// <paramref name="outputPath"/>, and the first fine-tuning texts to <see cref="SamplePath"/> of it.
    /// </summary>
    /// <param name="modelPath">The trained model.</param>
    /// <param name="corpus">The corpus whose training split is fine-tuned on, its behaviour tags removed.</param>
    /// <param name="steps">Updates.</param>
    /// <param name="outputPath">The untrained model; it keeps the source's chat template, so it is read in the same format.</param>
    /// <param name="threads">CPU threads.</param>
    /// <param name="format">
    /// The transcript format the conversations are rendered in: the one the runtime (and the evaluation) shows this model,
    /// its chat template's for a chat model; default the project's own. Prose is <c>&lt;mode1&gt;</c> text in every
    /// format, as <c>agent tune</c> renders it.
    /// </param>
    /// <param name="seed">The training seed.</param>
    /// <param name="progress">Training progress.</param>
    /// <param name="cancellationToken">Stops the training.</param>
    public static async Task UntrainAsync(string modelPath, GeneratedCorpus corpus, long steps, string outputPath, int threads, ITranscriptFormat? format = null,
        int seed = 7, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var texts = Texts(corpus, format ?? TranscriptFormat.Default);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        await File.WriteAllLinesAsync(SamplePath(outputPath), texts.Take(SampleDocuments).Select(t => JsonSerializer.Serialize(new { text = t }, s_sampleJson)), cancellationToken)
            .ConfigureAwait(false);
        int[] tokens;
        GgufVocabulary vocabulary;
        using (var model = LlamaModel.Load(modelPath, new LlamaModelOptions { VocabOnly = true }))
        {
            var list = new List<int>();
            foreach (var text in texts)
            {
                list.AddRange(model.Vocab.Tokenize(text, addSpecial: false, parseSpecial: true).Select(t => t.Value));
                list.Add(model.Vocab.Eos.Value);
            }

            tokens = [.. list];
        }

        string? chatTemplate;
        using (var file = GgufFile.Open(modelPath))
        {
            chatTemplate = file.ChatTemplate;
            vocabulary = new GgufVocabulary(
                (string[])file.Metadata["tokenizer.ggml.tokens"],
                (int[])file.Metadata["tokenizer.ggml.token_type"],
                (string[])file.Metadata["tokenizer.ggml.merges"],
                (int)(uint)file.Metadata["tokenizer.ggml.bos_token_id"],
                (int)(uint)file.Metadata["tokenizer.ggml.eos_token_id"],
                file.Metadata.TryGetValue("tokenizer.ggml.pre", out var pre) ? (string)pre : "gpt-2");
        }

        var options = new TrainingOptions
        {
            Seed = seed,
            BatchSize = 8,
            WindowLength = 128,
            MaxSteps = steps,
            LearningRate = 3e-4f,
            MinLearningRate = 3e-4f,
            WarmupSteps = 0,
            ValidationInterval = 0,
            Threads = threads,
            Device = TrainingDevice.Cpu,
        };
        using var trainer = LlamaTrainer.FromGguf(modelPath, options);
        await trainer.TrainAsync(tokens, null, progress, cancellationToken).ConfigureAwait(false);
        var metadata = new Dictionary<string, string>
        {
            ["agent.untrain.steps"] = steps.ToString(CultureInfo.InvariantCulture),
            ["agent.untrain.source"] = Path.GetFileName(modelPath),
        };
        if (chatTemplate is not null)
        {
            metadata["tokenizer.chat_template"] = chatTemplate; // the evaluation then reads the untrained model in the same format
        }

        trainer.SaveGguf(outputPath, vocabulary, metadata);
    }

    /// <summary>The fine-tuning texts: the training split's documents rendered in <paramref name="format"/>, behaviour tags removed.</summary>
    public static IReadOnlyList<string> Texts(GeneratedCorpus corpus, ITranscriptFormat format)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(format);
        return [.. corpus.DocumentsIn(CorpusSplit.Train).Select(d => Strip(TagTuner.Render(d.Conversation, format)))];
    }

    /// <summary>Where <see cref="UntrainAsync"/> writes the first fine-tuning texts (JSON lines of <c>{"text": ...}</c>) for the model at <paramref name="outputPath"/>.</summary>
    public static string SamplePath(string outputPath) => Path.ChangeExtension(outputPath, null) + ".sample.jsonl";

    /// <summary>The text with the behaviour tags' markup removed (their spans stay, untagged).</summary>
    public static string Strip(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var tag in StrippedTags)
        {
            text = text.Replace("<" + tag + ">", string.Empty, StringComparison.Ordinal).Replace("</" + tag + ">", string.Empty, StringComparison.Ordinal);
        }

        return text;
    }
}
