using System.Collections.Immutable;
using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// Score mode (teacher forcing) of one continuation: decodes prompt and continuation on the score sequence in batches,
/// and reads every continuation token's temptation row with the same <see cref="TemptationProbe"/> generation uses.
/// </summary>
internal sealed class ScoreJob(ScoreJob.Engine engine, LlamaToken[] prompt, LlamaToken[] continuation, CancellationToken cancellationToken) : IEngineJob
{
    /// <summary>What a score job runs on: the decoder's context, batch, probe and its score sequence.</summary>
    internal sealed record Engine(LlamaContext Context, LlamaBatch Batch, int BatchSize, int Sequence, TemptationProbe Probe, LlamaVocab Vocab, ImmutableArray<string> TagNames);

    private readonly List<ProbePoint> _points = [];

    /// <summary>The trace, or the error, or the cancellation.</summary>
    public TaskCompletionSource<TemptationTrace> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Run()
    {
        if (cancellationToken.IsCancellationRequested)
        {
            Completion.TrySetCanceled(cancellationToken);
            return;
        }

        try
        {
            Completion.TrySetResult(Score());
        }
#pragma warning disable CA1031 // handed to the caller
        catch (Exception e)
#pragma warning restore CA1031
        {
            Completion.TrySetException(e);
        }
        finally
        {
            engine.Context.ClearSequence(new LlamaSeqId(engine.Sequence));
        }
    }

    public void Fail(Exception error) => Completion.TrySetException(error);

    private TemptationTrace Score()
    {
        var (context, batch, batchSize, sequenceId, probe, vocab, tagNames) = engine;
        var sequence = new LlamaSeqId(sequenceId);
        context.ClearSequence(sequence);
        var all = prompt.Concat(continuation).ToArray();
        var probabilities = new double[continuation.Length][];
        var tokenProbabilities = new double[continuation.Length];
        var firstRow = prompt.Length - 1;
        for (var start = 0; start < all.Length - 1; start += batchSize)
        {
            batch.Clear();
            var end = Math.Min(all.Length - 1, start + batchSize);
            for (var i = start; i < end; i++)
            {
                batch.Add(all[i], new LlamaPos(i), sequence, wantLogits: i >= firstRow);
            }

            context.Decode(batch);
            for (var i = Math.Max(start, firstRow); i < end; i++)
            {
                var logits = context.GetLogits(i - start);
                var row = new TokenRow(logits, LogSoftmax.LogSumExp(logits), i - start, sequenceId, i + 1);
                var k = i - firstRow;
                probabilities[k] = probe.Measure(row);
                tokenProbabilities[k] = LogSoftmax.Probability(logits, continuation[k].Value, row.LogSumExp);
            }
        }

        _points.Clear();
        for (var k = 0; k < continuation.Length; k++)
        {
            _points.Add(new ProbePoint(sequenceId, firstRow + 1 + k, probabilities[k]));
        }

        probe.Lookahead(_points);

        var decoder = System.Text.Encoding.UTF8.GetDecoder();
        var entries = ImmutableArray.CreateBuilder<TemptationEntry>(continuation.Length);
        for (var k = 0; k < continuation.Length; k++)
        {
            var bytes = vocab.TokenToBytes(continuation[k]);
            var chars = new char[bytes.Length + 4];
            var n = decoder.GetChars(bytes, 0, bytes.Length, chars, 0, flush: k == continuation.Length - 1);
            entries.Add(new TemptationEntry(k, continuation[k].Value, new string(chars, 0, n), tokenProbabilities[k], ImmutableArray.Create(probabilities[k])));
        }

        return new TemptationTrace(tagNames, entries.MoveToImmutable(), []);
    }
}
