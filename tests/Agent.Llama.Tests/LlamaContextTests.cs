using Agent.TestSupport;

namespace Agent.Llama.Tests;

public class LlamaContextTests
{
    private static readonly LlamaSeqId Seq0 = new(0);
    private static readonly LlamaSeqId Seq1 = new(1);

    [Fact]
    public void Decode_Prompt_GivesFiniteLogitsOverWholeVocab()
    {
        var model = SharedModel.Instance;
        var logits = ModelProbe.LastLogits(model, "<mode2>call shell.run");

        Assert.Equal(model.Vocab.Count, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        Assert.True(logits.Max() - logits.Min() > 1e-3f, "logits are flat: the weights did not load");
    }

    [Fact]
    public void Decode_TwoSequencesInOneBatch_MatchesEachDecodedAlone()
    {
        var model = SharedModel.Instance;
        var promptA = model.Vocab.Tokenize("<mode2>the cat");
        var promptB = model.Vocab.Tokenize("<mode1>on the mat and more");

        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 512, MaxSequences = 2, Threads = 2 });
        using var batch = new LlamaBatch(64);
        for (var i = 0; i < promptA.Length; i++)
        {
            batch.Add(promptA[i], new LlamaPos(i), Seq0, i == promptA.Length - 1);
        }

        var lastA = batch.Count - 1;
        for (var i = 0; i < promptB.Length; i++)
        {
            batch.Add(promptB[i], new LlamaPos(i), Seq1, i == promptB.Length - 1);
        }

        context.Decode(batch);
        var together = context.GetLogits(lastA).ToArray();
        var togetherB = context.GetLogits(batch.Count - 1).ToArray();

        AssertClose(ModelProbe.LastLogits(model, "<mode2>the cat"), together);
        AssertClose(ModelProbe.LastLogits(model, "<mode1>on the mat and more"), togetherB);
    }

    [Fact]
    public void DecodeStep_AfterWarmUp_AllocatesNothing()
    {
        // The decoder's per-token step: fill a reused batch, decode it, read the logits span and greedily sample.
        // LLamaSharp's managed LLamaBatch would allocate here (it pins every row per decode); ours must not.
        var model = SharedModel.Instance;
        var prompt = model.Vocab.Tokenize("<mode2>the cat");
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, Threads = 1 });
        using var sampler = LlamaSamplerChain.Greedy();
        using var batch = new LlamaBatch(64);
        for (var i = 0; i < prompt.Length; i++)
        {
            batch.Add(prompt[i], new LlamaPos(i), Seq0, i == prompt.Length - 1);
        }

        context.Decode(batch);
        var position = prompt.Length;
        var token = sampler.Sample(context, batch.Count - 1);
        long allocated = 0;
        for (var step = 0; step < 20; step++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            batch.Clear();
            batch.Add(token, new LlamaPos(position++), Seq0, true);
            context.Decode(batch);
            var logits = context.GetLogits(0);
            token = sampler.Sample(context, 0);
            Assert.True(float.IsFinite(logits[token.Value]));
            if (step >= 2)
            {
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SaveSequenceState_RestoredIntoOtherSequence_ContinuesIdentically()
    {
        var model = SharedModel.Instance;
        var prompt = model.Vocab.Tokenize("<mode2>hello there");
        var next = model.Vocab.Tokenize(" the")[0];
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, MaxSequences = 2, Threads = 2 });
        using var batch = new LlamaBatch(64);
        for (var i = 0; i < prompt.Length; i++)
        {
            batch.Add(prompt[i], new LlamaPos(i), Seq0, false);
        }

        context.Decode(batch);
        var state = context.SaveSequenceState(Seq0);
        Assert.NotEmpty(state);

        context.LoadSequenceState(Seq1, state);
        Assert.Equal(prompt.Length - 1, context.SequencePositionMax(Seq1));

        batch.Clear();
        batch.Add(next, new LlamaPos(prompt.Length), Seq0, true);
        batch.Add(next, new LlamaPos(prompt.Length), Seq1, true);
        context.Decode(batch);
        AssertClose(context.GetLogits(0).ToArray(), context.GetLogits(1).ToArray());
    }

    [Fact]
    public void CopySequence_ThenRemove_LeavesSourceUntouched()
    {
        var model = SharedModel.Instance;
        var prompt = model.Vocab.Tokenize("<mode2>abc def");
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, MaxSequences = 2, Threads = 2 });
        using var batch = new LlamaBatch(64);
        for (var i = 0; i < prompt.Length; i++)
        {
            batch.Add(prompt[i], new LlamaPos(i), Seq0, false);
        }

        context.Decode(batch);
        context.CopySequence(Seq0, Seq1, new LlamaPos(0), new LlamaPos(-1));
        Assert.Equal(prompt.Length - 1, context.SequencePositionMax(Seq1));

        context.ClearSequence(Seq1);
        Assert.Equal(-1, context.SequencePositionMax(Seq1));
        Assert.Equal(prompt.Length - 1, context.SequencePositionMax(Seq0));
    }

    [Fact]
    public void Context_ModelDisposedFirst_KeepsWorking()
    {
        var model = LlamaModel.Load(TinyModel.DefaultPath);
        var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 128, Threads = 1 });
        model.Dispose();

        using var batch = new LlamaBatch(8);
        batch.Add(new LlamaToken(65), new LlamaPos(0), Seq0, true);
        context.Decode(batch);
        Assert.True(float.IsFinite(context.GetLogits(0)[0]));
        context.Dispose();
    }

    [Fact]
    public void Create_ContextLargerThanMemory_ThrowsLlamaContextException()
    {
        var e = Assert.Throws<LlamaContextException>(() =>
            LlamaContext.Create(SharedModel.Instance, new LlamaContextOptions { ContextSize = 2_000_000_000u, MaxSequences = 1 }));
        Assert.Contains("ContextSize", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TokenOutOfRange_ThrowsArgumentExceptionAndContextStillWorks()
    {
        using var context = LlamaContext.Create(SharedModel.Instance, new LlamaContextOptions { ContextSize = 128, Threads = 1 });
        using var batch = new LlamaBatch(8);
        batch.Add(new LlamaToken(999_999), new LlamaPos(0), Seq0, true);

        var e = Assert.Throws<ArgumentException>(() => context.Decode(batch));
        Assert.Contains("999999", e.Message, StringComparison.Ordinal);

        batch.Clear();
        batch.Add(new LlamaToken(65), new LlamaPos(0), Seq0, true);
        context.Decode(batch);
    }

    [Fact]
    public void GetLogits_TokenWithoutOutput_ThrowsInvalidOperation()
    {
        using var context = LlamaContext.Create(SharedModel.Instance, new LlamaContextOptions { ContextSize = 128, Threads = 1 });
        using var batch = new LlamaBatch(8);
        batch.Add(new LlamaToken(65), new LlamaPos(0), Seq0, false);
        batch.Add(new LlamaToken(66), new LlamaPos(1), Seq0, true);
        context.Decode(batch);

        Assert.Throws<InvalidOperationException>(() => context.GetLogits(0).ToArray());
        Assert.Equal(SharedModel.Instance.Vocab.Count, context.GetLogits(1).Length);
    }

    [Fact]
    public void Decode_PastContextSize_ThrowsLlamaDecodeException()
    {
        using var context = LlamaContext.Create(SharedModel.Instance, new LlamaContextOptions { ContextSize = 256, BatchSize = 256, Threads = 1 });
        var size = context.ContextSize; // llama.cpp may round the requested size up
        using var batch = new LlamaBatch(size);
        for (var i = 0; i < size; i++)
        {
            batch.Add(new LlamaToken(65), new LlamaPos(i), Seq0, false);
        }

        context.Decode(batch);
        batch.Clear();
        batch.Add(new LlamaToken(65), new LlamaPos(size), Seq0, true);
        var e = Assert.Throws<LlamaDecodeException>(() => context.Decode(batch));
        Assert.Contains("llama_decode returned", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetEmbeddings_EmbeddingsOn_GivesLastHiddenStateAndLogitsStayTheSame()
    {
        var model = SharedModel.Instance;
        var prompt = model.Vocab.Tokenize("<mode2>call shell.run");
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, Threads = 1, Embeddings = true });
        using var batch = new LlamaBatch(64);
        for (var i = 0; i < prompt.Length; i++)
        {
            batch.Add(prompt[i], new LlamaPos(i), Seq0, true);
        }

        context.Decode(batch);
        var last = batch.Count - 1;
        var embedding = context.GetEmbeddings(last).ToArray();
        var logits = context.GetLogits(last).ToArray();

        Assert.Equal(model.EmbeddingSize, embedding.Length);
        AssertClose(ModelProbe.LastLogits(model, "<mode2>call shell.run"), logits);

        // The vector is the one the output projection reads: output.weight · embedding gives the logits.
        using var file = Agent.Llama.Gguf.GgufFile.Open(TinyModel.DefaultPath);
        var output = file.ReadTensorF32("output.weight");
        var projected = new float[logits.Length];
        for (var v = 0; v < projected.Length; v++)
        {
            for (var e = 0; e < embedding.Length; e++)
            {
                projected[v] += output[(v * embedding.Length) + e] * embedding[e];
            }
        }

        AssertClose(logits, projected);
        Assert.NotEqual(embedding, context.GetEmbeddings(0).ToArray());
    }

    [Fact]
    public void Decode_EmbeddingsOnPromptWithOneOutput_OnlyThatRowIsComputedAndItMatchesEveryRowOutput()
    {
        // Two sequences in one batch: each a prompt whose last row alone wants output (how the decoder prefills). llama.cpp
        // outputs every row while embeddings are on; the context decodes the rows without output with them off.
        var model = SharedModel.Instance;
        var prompts = new[] { model.Vocab.Tokenize("<mode2>call shell.run"), model.Vocab.Tokenize("<mode1>the quick brown fox") };
        using var split = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, Threads = 1, Embeddings = true, MaxSequences = 2 });
        using var whole = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, Threads = 1, Embeddings = true, MaxSequences = 2 });
        using var lastOnly = new LlamaBatch(64);
        using var every = new LlamaBatch(64);
        var lasts = new int[2];
        for (var s = 0; s < 2; s++)
        {
            for (var i = 0; i < prompts[s].Length; i++)
            {
                var isLast = i == prompts[s].Length - 1;
                var index = lastOnly.Add(prompts[s][i], new LlamaPos(i), new LlamaSeqId(s), isLast);
                every.Add(prompts[s][i], new LlamaPos(i), new LlamaSeqId(s), true);
                lasts[s] = isLast ? index : lasts[s];
            }
        }

        split.Decode(lastOnly);
        whole.Decode(every);

        for (var s = 0; s < 2; s++)
        {
            AssertClose(whole.GetLogits(lasts[s]).ToArray(), split.GetLogits(lasts[s]).ToArray());
            AssertClose(whole.GetEmbeddings(lasts[s]).ToArray(), split.GetEmbeddings(lasts[s]).ToArray());
        }

        Assert.Equal(split.GetLogits(lasts[1]).ToArray(), split.GetLogits(-1).ToArray());
        // A row that did not ask for output has none: llama.cpp did not compute the vocabulary's logits for it.
        Assert.Throws<InvalidOperationException>(() => split.GetLogits(0).ToArray());
        Assert.Throws<InvalidOperationException>(() => split.GetEmbeddings(0).ToArray());
        Assert.NotEqual(0f, whole.GetLogits(0)[0]);

        // The next token of each sequence decodes on top of the split prompt as on top of the whole one.
        using var next = new LlamaBatch(8);
        for (var s = 0; s < 2; s++)
        {
            next.Add(prompts[s][0], new LlamaPos(prompts[s].Length), new LlamaSeqId(s), true);
        }

        split.Decode(next);
        whole.Decode(next);
        AssertClose(whole.GetLogits(0).ToArray(), split.GetLogits(0).ToArray());
        AssertClose(whole.GetEmbeddings(1).ToArray(), split.GetEmbeddings(1).ToArray());
    }

    [Fact]
    public void GetEmbeddings_EmbeddingsOff_ThrowsNamingTheOption()
    {
        using var context = LlamaContext.Create(SharedModel.Instance, new LlamaContextOptions { ContextSize = 256, Threads = 1 });
        var e = Assert.Throws<InvalidOperationException>(() => context.GetEmbeddings(0).ToArray());
        Assert.Contains("Embeddings = true", e.Message, StringComparison.Ordinal);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(max < 1e-3f, $"max abs difference {max}");
    }
}
