using Agent.Llama.Gguf;
using System.Text;

namespace Agent.Training.Tokenization;

/// <summary>
/// Learns a byte-level BPE vocabulary from text: control-token text is split out, the rest is pre-tokenised with
/// GPT-2's regex, pieces are counted once, and merges are learned from pair counts kept up to date incrementally
/// (only the words that hold the merged pair are touched).
/// </summary>
/// <remarks>
/// Deterministic: the most frequent pair wins; ties go to the pair whose left id, then right id, is smallest
/// (ids are byte values for bytes and creation order for merges). When a merge yields text that is already a
/// token, the merge is recorded and the existing id is reused, so token texts stay unique.
/// </remarks>
public static class BpeTrainer
{
    /// <summary>The tags every vocabulary has, in the order their tokens are numbered.</summary>
    public static IReadOnlyList<string> DefaultTags { get; } = ["mode1", "mode2", "deceit", "powerseeking"];

    /// <summary>Trains a vocabulary.</summary>
    /// <param name="texts">Training texts (rendered transcripts and documents, tags included).</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <returns>The vocabulary.</returns>
    public static BpeVocabulary Train(IEnumerable<string> texts, BpeTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options ??= new BpeTrainerOptions();
        var controlTexts = new List<string> { "<s>", "</s>" };
        foreach (var tag in DefaultTags.Concat(options.ExtraTags).Distinct(StringComparer.Ordinal))
        {
            controlTexts.Add("<" + tag + ">");
            controlTexts.Add("</" + tag + ">");
        }

        var wordCounts = CountPieces(texts, new HashSet<string>(controlTexts, StringComparer.Ordinal));
        return Learn(wordCounts, controlTexts, options);
    }

    private static Dictionary<string, long> CountPieces(IEnumerable<string> texts, HashSet<string> control)
    {
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        var gate = new object();
        Parallel.ForEach(
            texts,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (text, _, local) =>
            {
                var lookup = local.GetAlternateLookup<ReadOnlySpan<char>>();
                int pos = 0;
                foreach (var m in Gpt2PreTokenizer.ControlCandidates().EnumerateMatches(text))
                {
                    if (control.Contains(text.Substring(m.Index, m.Length)))
                    {
                        Count(text.AsSpan(pos, m.Index - pos), lookup);
                        pos = m.Index + m.Length;
                    }
                }

                Count(text.AsSpan(pos), lookup);
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    foreach (var (w, c) in local)
                    {
                        total[w] = total.GetValueOrDefault(w) + c;
                    }
                }
            });
        return total;

        static void Count(ReadOnlySpan<char> span, Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> lookup)
        {
            if (span.IsEmpty)
            {
                return;
            }

            var l = lookup;
            Gpt2PreTokenizer.Split(span, piece =>
            {
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(l.Dictionary, piece.ToString(), out _)++;
            });
        }
    }

    private static BpeVocabulary Learn(Dictionary<string, long> wordCounts, List<string> controlTexts, BpeTrainerOptions options)
    {
        var tokens = new List<string>(256 + options.MergeCount + controlTexts.Count);
        var tokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            var s = Gpt2ByteEncoding.Encode((byte)b).ToString();
            tokens.Add(s);
            tokenIds.Add(s, b);
        }

        // Words in ordinal order so that everything below is independent of counting order.
        var unique = wordCounts.Keys.ToArray();
        Array.Sort(unique, StringComparer.Ordinal);
        var words = new int[unique.Length][];
        var freqs = new long[unique.Length];
        var pairCounts = new Dictionary<long, long>();
        var where = new Dictionary<long, List<int>>();
        for (int w = 0; w < unique.Length; w++)
        {
            var bytes = Encoding.UTF8.GetBytes(unique[w]);
            words[w] = Array.ConvertAll(bytes, b => (int)b);
            freqs[w] = wordCounts[unique[w]];
            for (int i = 0; i + 1 < words[w].Length; i++)
            {
                long key = BpeVocabulary.Key(words[w][i], words[w][i + 1]);
                pairCounts[key] = pairCounts.GetValueOrDefault(key) + freqs[w];
                AddWhere(where, key, w);
            }
        }

        var heap = new PriorityQueue<long, (long Count, long Key)>(Comparer<(long Count, long Key)>.Create(
            static (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Key.CompareTo(b.Key)));
        foreach (var (key, count) in pairCounts)
        {
            heap.Enqueue(key, (count, key));
        }

        var merges = new List<string>(options.MergeCount);
        var mergeIds = new List<(int, int, int)>(options.MergeCount);
        var stamp = new int[unique.Length];
        Array.Fill(stamp, -1);
        var delta = new Dictionary<long, long>();
        while (merges.Count < options.MergeCount && heap.TryDequeue(out long best, out var priority))
        {
            long current = pairCounts.GetValueOrDefault(best);
            if (current != priority.Count)
            {
                if (current > 0)
                {
                    heap.Enqueue(best, (current, best));
                }

                continue;
            }

            if (current < options.MinPairFrequency)
            {
                break;
            }

            int left = (int)(best >> 32), right = (int)(uint)best;
            var text = tokens[left] + tokens[right];
            if (!tokenIds.TryGetValue(text, out int newId))
            {
                newId = tokens.Count;
                tokens.Add(text);
                tokenIds.Add(text, newId);
            }

            merges.Add(tokens[left] + " " + tokens[right]);
            mergeIds.Add((left, right, newId));
            int rank = merges.Count - 1;
            delta.Clear();
            foreach (int w in where[best])
            {
                if (stamp[w] == rank)
                {
                    continue;
                }

                stamp[w] = rank;
                var before = words[w];
                var after = MergeWord(before, left, right, newId);
                if (after.Length == before.Length)
                {
                    continue; // stale entry: the word no longer holds the pair
                }

                for (int i = 0; i + 1 < before.Length; i++)
                {
                    long k = BpeVocabulary.Key(before[i], before[i + 1]);
                    delta[k] = delta.GetValueOrDefault(k) - freqs[w];
                }

                for (int i = 0; i + 1 < after.Length; i++)
                {
                    long k = BpeVocabulary.Key(after[i], after[i + 1]);
                    delta[k] = delta.GetValueOrDefault(k) + freqs[w];
                    if (after[i] == newId || after[i + 1] == newId)
                    {
                        AddWhere(where, k, w);
                    }
                }

                words[w] = after;
            }

            foreach (var (k, d) in delta)
            {
                if (d == 0)
                {
                    continue;
                }

                long updated = pairCounts.GetValueOrDefault(k) + d;
                if (updated <= 0)
                {
                    pairCounts.Remove(k);
                    where.Remove(k);
                }
                else
                {
                    pairCounts[k] = updated;
                    if (d > 0)
                    {
                        heap.Enqueue(k, (updated, k));
                    }
                }
            }

            pairCounts.Remove(best);
            where.Remove(best);
        }

        var types = Enumerable.Repeat(BpeTokenType.Normal, tokens.Count).ToList();
        foreach (var c in controlTexts)
        {
            tokens.Add(c);
            types.Add(BpeTokenType.Control);
        }

        return new BpeVocabulary(tokens, types, merges, mergeIds);
    }

    private static int[] MergeWord(int[] symbols, int left, int right, int newId)
    {
        int count = 0;
        for (int i = 0; i + 1 < symbols.Length; i++)
        {
            if (symbols[i] == left && symbols[i + 1] == right)
            {
                count++;
                i++;
            }
        }

        if (count == 0)
        {
            return symbols;
        }

        var result = new int[symbols.Length - count];
        int j = 0;
        for (int i = 0; i < symbols.Length; i++)
        {
            if (i + 1 < symbols.Length && symbols[i] == left && symbols[i + 1] == right)
            {
                result[j++] = newId;
                i++;
            }
            else
            {
                result[j++] = symbols[i];
            }
        }

        return result;
    }

    private static void AddWhere(Dictionary<long, List<int>> where, long key, int word)
    {
        if (!where.TryGetValue(key, out var list))
        {
            list = [];
            where.Add(key, list);
        }

        if (list.Count == 0 || list[^1] != word)
        {
            list.Add(word);
        }
    }
}
