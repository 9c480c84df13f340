using System.Text.RegularExpressions;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.Training.Corpus;
using Agent.Training.Engine;
using Agent.Training.Tokenization;

namespace Agent.Training.Tests.Tuning;

/// <summary>
/// A small "pretrained" base built once per process: a byte-level BPE tokenizer and a 2-layer llama trained briefly on
/// the synthetic corpus with every tag stripped, so neither its vocabulary nor its weights know a tag.
/// </summary>
internal static partial class TuneFixtures
{
    private static readonly Lazy<string> s_base = new(BuildBase);

    /// <summary>The corpus seed the base was trained on (tuning uses another).</summary>
    public const int BaseCorpusSeed = 3;

    public static string BasePath => s_base.Value;

    public static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "agent-tune-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static string StripTags(string text) => TagPattern().Replace(text, string.Empty);

    /// <summary>The logits after <paramref name="tokens"/> through llama.cpp.</summary>
    public static float[] LastLogits(LlamaModel model, IReadOnlyList<LlamaToken> tokens, LlamaLoraAdapter? adapter = null)
    {
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 128, Threads = 2 });
        adapter?.Apply(context);
        using var batch = new LlamaBatch(128);
        for (var i = 0; i < tokens.Count; i++)
        {
            batch.Add(tokens[i], new LlamaPos(i), new LlamaSeqId(0), i == tokens.Count - 1);
        }

        context.Decode(batch);
        return context.GetLogits(tokens.Count - 1).ToArray();
    }

    /// <summary>A copy of <paramref name="source"/> with every 2-D weight stored as <paramref name="type"/>.</summary>
    public static void Requantize(string source, string destination, GgufTensorType type)
    {
        using var file = GgufFile.Open(source);
        using var writer = new GgufWriter();
        writer.CopyMetadata(file);
        foreach (var tensor in file.Tensors)
        {
            writer.AddTensor(tensor.Name, file.ReadTensorAsF32(tensor.Name), [.. tensor.Shape], tensor.Shape.Count >= 2 ? type : GgufTensorType.F32);
        }

        writer.WriteToFile(destination);
    }

    private static string BuildBase()
    {
        var work = TempDirectory();
        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = BaseCorpusSeed, Documents = 400 });
        var texts = corpus.DocumentsIn(CorpusSplit.Train).Select(d => StripTags(d.Text)).ToList();
        var bpe = BpeTrainer.Train(texts, new BpeTrainerOptions { MergeCount = 300 });

        // The BPE trainer always makes the tags control tokens; the base drops them (and renumbers), keeping BOS and EOS.
        var keep = Enumerable.Range(0, bpe.Count).Where(i => bpe.TokenTypes[i] != BpeTokenType.Control || i == bpe.BosId || i == bpe.EosId).ToList();
        var vocabulary = new GgufVocabulary(
            [.. keep.Select(i => bpe.Tokens[i])],
            [.. keep.Select(i => bpe.TokenTypes[i] == BpeTokenType.Control ? GgufVocabulary.Control : GgufVocabulary.Normal)],
            bpe.Merges,
            keep.IndexOf(bpe.BosId),
            keep.IndexOf(bpe.EosId));
        var shape = new LlamaHyperparameters(vocabulary.Tokens.Count, 64, 2, 4, 2, 128, 128);
        var tokenizerPath = Path.Combine(work, "tokenizer.gguf");
        LlamaModelWriter.Write(tokenizerPath, shape, vocabulary, (_, dims) => new float[dims.Aggregate(1L, (a, b) => a * b)]);
        var tokens = new List<int>();
        using (var tokenizer = LlamaModel.Load(tokenizerPath, new LlamaModelOptions { VocabOnly = true }))
        {
            foreach (var text in texts)
            {
                tokens.AddRange(tokenizer.Vocab.Tokenize(text, addSpecial: false, parseSpecial: true).Select(t => t.Value));
                tokens.Add(vocabulary.EosId);
            }
        }

        using var trainer = LlamaTrainer.Create(shape, new TrainingOptions
        {
            Seed = 5,
            BatchSize = 8,
            WindowLength = 64,
            DocumentSeparator = vocabulary.EosId,
            MaxSteps = 150,
            LearningRate = 3e-3f,
            MinLearningRate = 3e-4f,
            WarmupSteps = 10,
            WeightDecay = 0f,
            Threads = 2,
            Device = TrainingDevice.Cpu,
        });
        trainer.TrainAsync([.. tokens], null).GetAwaiter().GetResult();
        var path = Path.Combine(work, "base.gguf");
        trainer.SaveGguf(path, vocabulary, new Dictionary<string, string> { ["general.name"] = "tune-test-base" });
        return path;
    }

    [GeneratedRegex("</?(mode1|mode2|powerseeking|deceit)>", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
