using System.Text.RegularExpressions;
using Agent.Llama;
using Agent.Llama.Gguf;
using Agent.Training.Corpus;
using Agent.Training.Engine;
using Agent.Training.Pipeline;
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
        return TrainBase(Path.Combine(work, "base.gguf"), new BaseRecipe());
    }

    /// <summary>
    /// Trains a small llama on the synthetic corpus's training split (corpus seed <see cref="BaseCorpusSeed"/>) with its
    /// own byte-level BPE and writes it to <paramref name="path"/>. Without <see cref="BaseRecipe.Tagged"/> every tag is
    /// stripped from the text and dropped from the vocabulary (a "pretrained" base that knows no tag); with it the tags
    /// stay as control tokens and every behaviour tag opens late, as <c>agent train</c> trains (a from-scratch model).
    /// </summary>
    public static string TrainBase(string path, BaseRecipe recipe, IProgress<string>? log = null)
    {
        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = BaseCorpusSeed, Documents = recipe.Documents });
        var random = new Random(3);
        var texts = corpus.DocumentsIn(CorpusSplit.Train)
            .Select(d => recipe.Tagged ? LateTagAugmenter.Apply(d.Text, random, [CorpusGenerator.PowerseekingTag, CorpusGenerator.DeceitTag], 1.0) : StripTags(d.Text))
            .ToList();
        var bpe = BpeTrainer.Train(texts, new BpeTrainerOptions { MergeCount = 300 });

        // The BPE trainer always makes the tags control tokens; the base drops them (and renumbers), keeping BOS and EOS.
        var keep = Enumerable.Range(0, bpe.Count).Where(i => recipe.Tagged || bpe.TokenTypes[i] != BpeTokenType.Control || i == bpe.BosId || i == bpe.EosId).ToList();
        var vocabulary = new GgufVocabulary(
            [.. keep.Select(i => bpe.Tokens[i])],
            [.. keep.Select(i => bpe.TokenTypes[i] == BpeTokenType.Control ? GgufVocabulary.Control : GgufVocabulary.Normal)],
            bpe.Merges,
            keep.IndexOf(bpe.BosId),
            keep.IndexOf(bpe.EosId));

        // Context 256: the held-out items' prompts (task, tool result) are longer than 128 tokens in this vocabulary.
        var shape = new LlamaHyperparameters(vocabulary.Tokens.Count, recipe.Width, recipe.Layers, 4, 2, recipe.Width * 2, 256);
        var tokenizerPath = path + ".tokenizer.gguf";
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

        File.Delete(tokenizerPath);
        using var trainer = LlamaTrainer.Create(shape, new TrainingOptions
        {
            Seed = 5,
            BatchSize = 8,
            WindowLength = recipe.Window,
            DocumentSeparator = vocabulary.EosId,
            MaxSteps = recipe.Steps,
            LearningRate = 3e-3f,
            MinLearningRate = 3e-4f,
            WarmupSteps = 10,
            WeightDecay = 0f,
            Threads = 2,
            Device = TrainingDevice.Cpu,
        });
        var result = trainer.TrainAsync([.. tokens], null).GetAwaiter().GetResult();
        log?.Report(FormattableString.Invariant(
            $"{Path.GetFileName(path)}: {texts.Count} documents, {tokens.Count:N0} tokens, {recipe.Steps} updates of 8 x {recipe.Window}, loss {result.TrainLosses.Take(5).Average():F3} -> {result.TrainLosses.TakeLast(5).Average():F3}"));
        trainer.SaveGguf(path, vocabulary, new Dictionary<string, string> { ["general.name"] = recipe.Tagged ? "tune-test-scratch" : "tune-test-base" });
        return path;
    }

    [GeneratedRegex("</?(mode1|mode2|powerseeking|deceit)>", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    /// <summary>The shape and budget of <see cref="TrainBase"/>; the defaults are the shared test base's.</summary>
    /// <param name="Width">Model width (feed-forward twice that, 4 heads, 2 KV heads).</param>
    /// <param name="Layers">Transformer blocks.</param>
    /// <param name="Steps">Updates of 8 windows.</param>
    /// <param name="Window">Tokens per window.</param>
    /// <param name="Documents">Synthetic documents generated (about 80% are in the training split).</param>
    /// <param name="Tagged">Keep the tags (a from-scratch tagged model) instead of stripping them.</param>
    public sealed record BaseRecipe(int Width = 64, int Layers = 2, int Steps = 150, int Window = 64, int Documents = 400, bool Tagged = false);
}
