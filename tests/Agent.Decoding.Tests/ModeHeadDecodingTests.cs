using Agent.Llama;
using Agent.TestSupport;

namespace Agent.Decoding.Tests;

/// <summary>The per-token mode signal in the decoder's traces (<see cref="DecoderOptions.ModeHead"/>).</summary>
public class ModeHeadDecodingTests
{
    [Fact]
    public async Task Score_WithHead_EveryEntryCarriesTheHeadOnThatRowsHiddenState()
    {
        var (path, head) = ModelWithHead();
        using var model = LlamaModel.Load(path);
        using var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Decoders.DefaultTags()), new DecoderOptions { ContextSize = 256, MaxParallel = 2, Threads = 2, ModeHead = head });
        const string prompt = "<mode1>task list the files\n<mode2>";
        const string continuation = "call shell.run the cat";
        var trace = await decoder.ScoreAsync(prompt, continuation);

        // The reference: llama.cpp's embeddings of the same tokens in a context of its own, fed to the head.
        var tokens = model.Vocab.Tokenize(prompt + continuation, addSpecial: false, parseSpecial: true);
        var promptLength = model.Vocab.Tokenize(prompt, addSpecial: false, parseSpecial: true).Length;
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, Threads = 2, Embeddings = true });
        using var batch = new LlamaBatch(256);
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            batch.Add(tokens[i], new LlamaPos(i), new LlamaSeqId(0), i >= promptLength - 1);
        }

        context.Decode(batch);
        Assert.Equal(tokens.Length - promptLength, trace.Entries.Length);
        for (var k = 0; k < trace.Entries.Length; k++)
        {
            var expected = head.AgentProbability(context.GetEmbeddings(promptLength - 1 + k));
            Assert.NotNull(trace.Entries[k].Mode2Probability);
            Assert.Equal(expected, trace.Entries[k].Mode2Probability!.Value, 4);
        }

        Assert.True(trace.Entries.Select(e => e.Mode2Probability).Distinct().Count() > 1, "the head gave every token the same value");
    }

    [Fact]
    public async Task Generate_WithAndWithoutHead_SameTokensAndTemptationOnlyTheHeadAddsTheModeSignal()
    {
        var (path, head) = ModelWithHead();
        using var model = LlamaModel.Load(path);
        var tags = TagSet.Resolve(model.Vocab, Decoders.DefaultTags());
        using var plain = TagDecoder.Create(model, tags, new DecoderOptions { ContextSize = 256, MaxParallel = 2, Threads = 2 });
        using var withHead = TagDecoder.Create(model, tags, new DecoderOptions { ContextSize = 256, MaxParallel = 2, Threads = 2, ModeHead = head });
        var request = new GenerationRequest("<mode1>task count the lines\n") { MaxTokens = 12, Constraints = DecodingConstraints.None.InMode("mode2").Ban("deceit") };
        var a = await plain.GenerateAsync(request);
        var b = await withHead.GenerateAsync(request);

        Assert.Null(plain.ModeHead);
        Assert.All(a.Trace.Entries, e => Assert.Null(e.Mode2Probability));
        Assert.All(b.Trace.Entries, e => Assert.InRange(e.Mode2Probability!.Value, 0, 1));
        Assert.Equal(a.Text, b.Text);
        Assert.Equal(a.Trace.Entries.Select(e => e.TokenId), b.Trace.Entries.Select(e => e.TokenId));
        for (var i = 0; i < a.Trace.Entries.Length; i++)
        {
            Assert.Equal(a.Trace.Entries[i].Probabilities, b.Trace.Entries[i].Probabilities, (x, y) => Math.Abs(x - y) < 1e-6);
        }
    }

    [Fact]
    public void Create_HeadOfAnotherWidth_IsRefusedNamingTheHead()
    {
        var dir = Directory.CreateTempSubdirectory("agent-mode-head-").FullName;
        var path = Path.Combine(dir, "model.gguf");
        File.Copy(TinyModel.DefaultPath, path);
        ModeHead.Write(path, new float[2 * 8], new float[2]);
        using var model = LlamaModel.Load(path);
        var head = ModeHead.TryLoad(path)!;
        var e = Assert.Throws<ModeHeadException>(() => TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Decoders.DefaultTags()), new DecoderOptions { ContextSize = 64, ModeHead = head }));
        Assert.Contains(head.Path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AgentProbability_HiddenLayerHead_IsSiluThenTheLogisticOfTheLogitDifference()
    {
        // E = 2, H = 2 by hand: units silu(W1 x + b1), then the logistic of (w2[mode2] - w2[mode1]) · units + (b2[1] - b2[0]).
        var dir = Directory.CreateTempSubdirectory("agent-mode-head-").FullName;
        var path = Path.Combine(dir, "model.gguf");
        File.Copy(TinyModel.DefaultPath, path);
        float[] hiddenWeights = [1f, 2f, -1f, 0.5f]; // unit 0 reads (1, 2), unit 1 reads (-1, 0.5)
        float[] hiddenBias = [0.5f, -0.25f];
        float[] weights = [0.2f, -0.3f, 1.2f, 0.7f]; // mode1 logit (0.2, -0.3), mode2 logit (1.2, 0.7)
        ModeHead.Write(path, weights, [0.1f, -0.1f], hiddenWeights, hiddenBias);

        var head = ModeHead.TryLoad(path)!;

        Assert.Equal(2, head.HiddenSize);
        Assert.Equal(2, head.EmbeddingSize);
        float[] x = [0.3f, -0.4f];
        static double Silu(double a) => a / (1 + Math.Exp(-a));
        var u0 = Silu((1 * 0.3) + (2 * -0.4) + 0.5);
        var u1 = Silu((-1 * 0.3) + (0.5 * -0.4) - 0.25);
        var z = ((1.2 - 0.2) * u0) + ((0.7 - -0.3) * u1) + (-0.1 - 0.1);
        Assert.Equal(1 / (1 + Math.Exp(-z)), head.AgentProbability(x), 5);
        Assert.Throws<ArgumentException>(() => head.AgentProbability(new float[3]));
    }

    [Fact]
    public void Load_HiddenLayerHeadMissingItsLayer_IsRefusedNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("agent-mode-head-").FullName;
        var path = Path.Combine(dir, "model.gguf");
        File.Copy(TinyModel.DefaultPath, path);
        using (var writer = new Agent.Llama.Gguf.GgufWriter())
        {
            writer.Set("general.architecture", ModeHead.Architecture)
                .Set("agent.mode_head.model_fingerprint", ModeHead.Fingerprint(path))
                .Set("agent.mode_head.hidden_length", 4u);
            writer.AddTensor("mode_head.weight", new float[8], [4, 2]);
            writer.AddTensor("mode_head.bias", new float[2], [2]);
            writer.WriteToFile(ModeHead.PathFor(path));
        }

        var e = Assert.Throws<ModeHeadException>(() => ModeHead.TryLoad(path));

        Assert.Contains("mode_head.hidden.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains(ModeHead.PathFor(path), e.Message, StringComparison.Ordinal);
    }

    /// <summary>A copy of the tiny model with a head of fixed random weights beside it.</summary>
    internal static (string Path, ModeHead Head) ModelWithHead()
    {
        var dir = Directory.CreateTempSubdirectory("agent-mode-head-").FullName;
        var path = Path.Combine(dir, "model.gguf");
        File.Copy(TinyModel.DefaultPath, path);
        using (var model = LlamaModel.Load(path))
        {
            var random = new Random(5);
            var weights = Enumerable.Range(0, 2 * model.EmbeddingSize).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            ModeHead.Write(path, weights, [0.1f, -0.1f]);
        }

        return (path, ModeHead.TryLoad(path)!);
    }
}
