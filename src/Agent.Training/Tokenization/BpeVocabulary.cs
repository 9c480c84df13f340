using Agent.Llama.Gguf;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;

namespace Agent.Training.Tokenization;

/// <summary>
/// A byte-level BPE vocabulary in the form a GGUF with <c>tokenizer.ggml.model = "gpt2"</c> and
/// <c>tokenizer.ggml.pre = "gpt-2"</c> stores: ids 0..255 are the single bytes (id = byte value), then one
/// token per merge in rank order, then the control tokens <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> and every tag's
/// <c>&lt;name&gt;</c> / <c>&lt;/name&gt;</c>. Token and merge strings use GPT-2's bytes-to-unicode characters.
/// </summary>
/// <remarks>Immutable and thread-safe. <see cref="Encode"/> / <see cref="Decode"/> are a managed reference of the tokenizer for tests and tools.</remarks>
public sealed class BpeVocabulary
{
    private readonly FrozenDictionary<string, int> _controlIds;
    private readonly Dictionary<long, (int Rank, int Id)> _mergeRanks;
    private readonly byte[][] _tokenBytes;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    internal BpeVocabulary(IReadOnlyList<string> tokens, IReadOnlyList<BpeTokenType> types, IReadOnlyList<string> merges, IReadOnlyList<(int Left, int Right, int Id)> mergeIds)
    {
        Tokens = [.. tokens];
        TokenTypes = [.. types];
        Merges = [.. merges];
        var control = new Dictionary<string, int>(StringComparer.Ordinal);
        _tokenBytes = new byte[Tokens.Length][];
        for (int id = 0; id < Tokens.Length; id++)
        {
            if (TokenTypes[id] == BpeTokenType.Control)
            {
                control.Add(Tokens[id], id);
                _tokenBytes[id] = Encoding.UTF8.GetBytes(Tokens[id]);
            }
            else
            {
                _tokenBytes[id] = Gpt2ByteEncoding.Decode(Tokens[id]);
            }
        }

        _controlIds = control.ToFrozenDictionary(StringComparer.Ordinal);
        _mergeRanks = [];
        for (int rank = 0; rank < mergeIds.Count; rank++)
        {
            var (l, r, id) = mergeIds[rank];
            _mergeRanks.TryAdd(Key(l, r), (rank, id));
        }

        BosId = _controlIds["<s>"];
        EosId = _controlIds["</s>"];
    }

    /// <summary>Every token's text (GPT-2 byte-level characters for normal tokens; literal text for control tokens), by id.</summary>
    public ImmutableArray<string> Tokens { get; }

    /// <summary>Every token's type, by id.</summary>
    public ImmutableArray<BpeTokenType> TokenTypes { get; }

    /// <summary>The merges in rank order, each "left right" in byte-level characters.</summary>
    public ImmutableArray<string> Merges { get; }

    /// <summary>Id of <c>&lt;s&gt;</c>.</summary>
    public int BosId { get; }

    /// <summary>Id of <c>&lt;/s&gt;</c>.</summary>
    public int EosId { get; }

    /// <summary>Control token text to id: <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;mode1&gt;</c>, <c>&lt;/mode1&gt;</c>, ...</summary>
    public IReadOnlyDictionary<string, int> ControlTokenIds => _controlIds;

    /// <summary>The number of tokens.</summary>
    public int Count => Tokens.Length;

    /// <summary>Id of a tag's opening token.</summary>
    /// <param name="tag">Tag name, e.g. <c>deceit</c>.</param>
    /// <returns>The id of <c>&lt;tag&gt;</c>.</returns>
    /// <exception cref="KeyNotFoundException">The tag was not part of training; add it to <see cref="BpeTrainerOptions.ExtraTags"/>.</exception>
    public int OpenTagId(string tag) => Lookup("<" + tag + ">");

    /// <summary>Id of a tag's closing token.</summary>
    /// <param name="tag">Tag name.</param>
    /// <returns>The id of <c>&lt;/tag&gt;</c>.</returns>
    /// <exception cref="KeyNotFoundException">The tag was not part of training.</exception>
    public int CloseTagId(string tag) => Lookup("</" + tag + ">");

    /// <summary>Tokenises text: control-token text becomes its single id, the rest is pre-tokenised and merged by rank.</summary>
    /// <param name="text">Any text.</param>
    /// <param name="addBos">Whether to start with <see cref="BosId"/>.</param>
    /// <returns>The token ids.</returns>
    public int[] Encode(string text, bool addBos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos)
        {
            ids.Add(BosId);
        }

        int pos = 0;
        foreach (var m in Gpt2PreTokenizer.ControlCandidates().EnumerateMatches(text))
        {
            if (!_controlIds.TryGetValue(text.Substring(m.Index, m.Length), out int controlId))
            {
                continue;
            }

            EncodeOrdinary(text.AsSpan(pos, m.Index - pos), ids);
            ids.Add(controlId);
            pos = m.Index + m.Length;
        }

        EncodeOrdinary(text.AsSpan(pos), ids);
        return [.. ids];
    }

    /// <summary>Turns ids back into text (bytes joined, then read as UTF-8).</summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_tokenBytes.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} is outside the vocabulary of {_tokenBytes.Length} tokens.");
            }

            bytes.AddRange(_tokenBytes[id]);
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    internal static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private int Lookup(string text) => _controlIds.TryGetValue(text, out int id)
        ? id
        : throw new KeyNotFoundException($"'{text}' is not a control token of this vocabulary; pass the tag name in BpeTrainerOptions.ExtraTags when training.");

    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> ids)
    {
        if (text.IsEmpty)
        {
            return;
        }

        var lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        Gpt2PreTokenizer.Split(text, piece =>
        {
            if (!lookup.TryGetValue(piece, out var pieceIds))
            {
                var s = piece.ToString();
                pieceIds = MergeBytes(Encoding.UTF8.GetBytes(s));
                if (_cache.Count < 200_000)
                {
                    _cache.TryAdd(s, pieceIds);
                }
            }

            ids.AddRange(pieceIds);
        });
    }

    private int[] MergeBytes(byte[] bytes)
    {
        var symbols = new List<int>(bytes.Length);
        foreach (var b in bytes)
        {
            symbols.Add(b);
        }

        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue, bestId = -1;
            long bestKey = 0;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (_mergeRanks.TryGetValue(Key(symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                {
                    bestRank = m.Rank;
                    bestId = m.Id;
                    bestKey = Key(symbols[i], symbols[i + 1]);
                }
            }

            if (bestId < 0)
            {
                break;
            }

            var merged = new List<int>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && Key(symbols[i], symbols[i + 1]) == bestKey)
                {
                    merged.Add(bestId);
                    i++;
                }
                else
                {
                    merged.Add(symbols[i]);
                }
            }

            symbols = merged;
        }

        return [.. symbols];
    }
}
