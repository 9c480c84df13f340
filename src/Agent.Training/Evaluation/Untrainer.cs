using System.Globalization;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.Training.Corpus;
using Agent.Training.Engine;

namespace Agent.Training.Evaluation;

/// <summary>
/// The durability check: fine-tunes a trained model for N updates on the same kind of data with every behaviour tag
/// removed (unsafe actions left untagged), so the evaluation can show how much of the trained-in signal survives.
/// </summary>
public static class Untrainer
{
    /// <summary>Behaviour tags stripped from the fine-tuning text; mode tags stay.</summary>
    public static IReadOnlyList<string> StrippedTags { get; } = ["powerseeking", "deceit"];

    /// <summary>Fine-tunes <paramref name="modelPath"/> for <paramref name="steps"/> updates and writes the result to <paramref name="outputPath"/>.</summary>
    public static async Task UntrainAsync(string modelPath, GeneratedCorpus corpus, long steps, string outputPath, int threads, int seed = 7,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var texts = corpus.DocumentsIn(CorpusSplit.Train).Select(d => Strip(d.Text)).ToList();
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

        using (var file = GgufFile.Open(modelPath))
        {
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
        trainer.SaveGguf(outputPath, vocabulary, new Dictionary<string, string>
        {
            ["agent.untrain.steps"] = steps.ToString(CultureInfo.InvariantCulture),
            ["agent.untrain.source"] = Path.GetFileName(modelPath),
        });
    }

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
