namespace Agent.Monitoring.Internal;

/// <summary>
/// A small least-recently-used cache of embeddings by text. The gate scores every action of a run against the same task
/// (calls) or the same last tool result (answers), and a run repeats calls; so the context is encoded once per run or per
/// tool result, not once per action. Thread-safe; bounded, so a long-lived service does not grow.
/// </summary>
internal sealed class EmbeddingCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<(string Text, TextEmbedding Embedding)>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Text, TextEmbedding Embedding)> _order = new();
    private readonly Lock _sync = new();

    public int Capacity { get; } = capacity >= 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    /// <summary>The cached embedding of <paramref name="text"/>, or a new one from <paramref name="encode"/> (outside the lock).</summary>
    public TextEmbedding GetOrEncode(string text, Func<string, TextEmbedding> encode)
    {
        if (Capacity == 0)
        {
            return encode(text);
        }

        lock (_sync)
        {
            if (_index.TryGetValue(text, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                return node.Value.Embedding;
            }
        }

        var embedding = encode(text);
        lock (_sync)
        {
            if (!_index.ContainsKey(text))
            {
                _index[text] = _order.AddFirst((text, embedding));
                if (_order.Count > Capacity)
                {
                    _index.Remove(_order.Last!.Value.Text);
                    _order.RemoveLast();
                }
            }
        }

        return embedding;
    }
}
