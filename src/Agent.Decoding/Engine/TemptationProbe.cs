using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// The temptation probe, one for generation and score mode: per token step, the probability of each tag's opening
/// before any ban. A single-token tag's is read from the row (<see cref="Measure"/>); a multi-token tag's is
/// p(t1) * p(t2|t1) * ... * p(tk|t1..tk-1), completed by <see cref="Lookahead"/>, which decodes the tag's remaining tokens
/// on spare sequences that share the real sequence's cells (seq_cp), so the real sequences are untouched.
/// </summary>
internal sealed class TemptationProbe
{
    private readonly TagSet _tags;
    private readonly ResolvedTag[] _multiTokenTags;
    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;
    private readonly int _firstSpareSequence;
    private readonly int _spareSequences;
    private readonly List<(int Point, ResolvedTag Tag)> _work = [];
    private readonly List<(int Item, int BatchIndex, LlamaToken Next)> _rows = [];

    public TemptationProbe(TagSet tags, LlamaContext context, LlamaBatch batch, int firstSpareSequence, int spareSequences)
    {
        _tags = tags;
        _multiTokenTags = [.. tags.Tags.Where(t => t.Open.Count > 1)];
        _context = context;
        _batch = batch;
        _firstSpareSequence = firstSpareSequence;
        _spareSequences = spareSequences;
    }

    /// <summary>Whether any tag needs the lookahead.</summary>
    public bool HasMultiTokenTags => _multiTokenTags.Length > 0;

    /// <summary>The row's probability of each tag's first opening token, in trace-column order (a fresh array).</summary>
    public double[] Measure(in TokenRow row)
    {
        var probabilities = new double[_tags.Count];
        foreach (var tag in _tags.Tags)
        {
            probabilities[tag.Index] = LogSoftmax.Probability(row.Logits, tag.OpenToken.Value, row.LogSumExp);
        }

        return probabilities;
    }

    /// <summary>
    /// Completes the multi-token tags' columns of every point's row: multiplies each by the probability of the tag's
    /// remaining tokens after its first. Clears the batch (decode the real step first, and read its rows before).
    /// </summary>
    public void Lookahead(IReadOnlyList<ProbePoint> points)
    {
        if (_multiTokenTags.Length == 0)
        {
            return;
        }

        _work.Clear();
        for (var p = 0; p < points.Count; p++)
        {
            foreach (var tag in _multiTokenTags)
            {
                _work.Add((p, tag));
            }
        }

        for (var start = 0; start < _work.Count; start += _spareSequences)
        {
            var count = Math.Min(_spareSequences, _work.Count - start);
            var factors = LookaheadChunk(points, start, count);
            for (var i = 0; i < count; i++)
            {
                var (point, tag) = _work[start + i];
                points[point].Probabilities[tag.Index] *= factors[i];
            }
        }
    }

    /// <summary>
    /// For each work item: copies its sequence's cells below its position onto a spare sequence, decodes the tag's tokens
    /// after them, and returns p(t2|t1) * ... * p(tk|t1..tk-1). The spare sequences are cleared again.
    /// </summary>
    private double[] LookaheadChunk(IReadOnlyList<ProbePoint> points, int start, int count)
    {
        _batch.Clear();
        _rows.Clear();
        for (var i = 0; i < count; i++)
        {
            var (point, tag) = _work[start + i];
            var (sequence, position, _) = points[point];
            var tokens = tag.Open;
            var spare = new LlamaSeqId(_firstSpareSequence + i);
            _context.ClearSequence(spare);
            _context.CopySequence(new LlamaSeqId(sequence), spare, new LlamaPos(0), new LlamaPos(position));
            for (var j = 0; j < tokens.Count - 1; j++)
            {
                var index = _batch.Add(tokens[j], new LlamaPos(position + j), spare, wantLogits: true);
                _rows.Add((i, index, tokens[j + 1]));
            }
        }

        var factors = new double[count];
        Array.Fill(factors, 1.0);
        if (_batch.Count > 0)
        {
            _context.Decode(_batch);
            foreach (var (item, index, next) in _rows)
            {
                var logits = _context.GetLogits(index);
                factors[item] *= LogSoftmax.Probability(logits, next.Value, LogSoftmax.LogSumExp(logits));
            }
        }

        for (var i = 0; i < count; i++)
        {
            _context.ClearSequence(new LlamaSeqId(_firstSpareSequence + i));
        }

        return factors;
    }
}
