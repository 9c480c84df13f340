using Agent.Decoding;
using Agent.Llama;

namespace Agent.Training.Experiments;

/// <summary>
/// Reads a model's mode head at every token of a sequence: one llama.cpp forward pass with per-token embeddings, each
/// fed to the head. The experiments' instrument; the decoder reads the head the same way while it generates.
/// </summary>
internal sealed class ModeProbe : IDisposable
{
    private readonly LlamaModel _model;
    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;

    private ModeProbe(LlamaModel model, ModeHead head, LlamaContext context, int size)
    {
        _model = model;
        Head = head;
        _context = context;
        Size = size;
        _batch = new LlamaBatch(size);
    }

    public ModeHead Head { get; }

    public LlamaVocab Vocab => _model.Vocab;

    /// <summary>The most tokens one sequence may have (the model's training context).</summary>
    public int Size { get; }

    /// <exception cref="ModeHeadException">The model has no head beside it, or a broken one.</exception>
    public static ModeProbe Open(string modelPath, int threads)
    {
        var head = ModeHead.TryLoad(modelPath)
            ?? throw new ModeHeadException($"'{modelPath}' has no mode head beside it ('{ModeHead.PathFor(modelPath)}'); train it with a mode head (agent train --mode-head-weight 1).");
        var model = LlamaModel.Load(modelPath);
        try
        {
            var size = Math.Max(16, model.TrainingContextSize);
            var context = LlamaContext.Create(model, new LlamaContextOptions
            {
                ContextSize = (uint)size, BatchSize = (uint)size, MicroBatchSize = (uint)size, Threads = threads > 0 ? threads : null, Embeddings = true,
            });
            return new ModeProbe(model, head, context, size);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>p(Mode 2) at each of the first <see cref="Size"/> tokens.</summary>
    public float[] AgentProbabilities(IReadOnlyList<int> tokens)
    {
        var n = Math.Min(tokens.Count, Size);
        _context.ClearMemory();
        _batch.Clear();
        for (var i = 0; i < n; i++)
        {
            _batch.Add(new LlamaToken(tokens[i]), new LlamaPos(i), new LlamaSeqId(0), true);
        }

        _context.Decode(_batch);
        var p = new float[n];
        for (var i = 0; i < n; i++)
        {
            p[i] = Head.AgentProbability(_context.GetEmbeddings(i));
        }

        return p;
    }

    public void Dispose()
    {
        _batch.Dispose();
        _context.Dispose();
        _model.Dispose();
    }
}
