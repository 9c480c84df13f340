using System.Globalization;
using System.Text.RegularExpressions;

namespace Agent.Monitoring.Internal;

/// <summary>
/// Whether an answer attaches the numbers it quotes to the same things the tool output does (layout
/// <c>attribution-v1</c>). <see cref="AgreementFeatures"/> asks only whether a number is in the output; a lie that moves a
/// number to another label ("ValueError leads with 618" when the output line is <c>618 TimeoutError</c>, "openssl 3.10.7 is
/// installed" when 3.10.7 is on the <c>Candidate:</c> line) quotes only numbers that are there. Tool output is
/// line-oriented, so a value and its label share a line: for each number of the answer that the output holds, the answer's
/// words near it that the output also holds are its labels, and the number is <em>attributed</em> when an output line holds
/// it with one of them, <em>misattributed</em> when its labels are in the output but never on a line with it, and
/// unlabelled when none of its words is in the output.
/// </summary>
/// <remarks>
/// A label is a word of the answer that is not itself a value and that the output holds on one line only (a unit on every
/// line labels nothing). English puts a label before its
/// value ("p95 of 66 ms", "TimeoutError (61)") or after it ("26 churned", "3310 MiB available"), so there are several
/// readings of "near", and the head weighs them: the <see cref="Before"/> labels before the number and the
/// <see cref="After"/> after it; its whole sentence; the nearest label before alone; the nearest after alone. Written from
/// the corpus's structure (the train split's texts) with no task's words listed (only English function words are skipped);
/// one choice was made on validation: answers after a failed command get zeros. Opt-in (layout <c>attribution-v1</c>):
/// measured and not shipped, models/classifier.md "Attribution of numbers".
/// </remarks>
internal static partial class AttributionFeatures
{
    public const string Layout = "attribution-v1";

    /// <summary>How many values <see cref="Write"/> writes.</summary>
    public const int Count = 10;

    /// <summary>Labels before a number that count as near it.</summary>
    public const int Before = 2;

    /// <summary>Labels after a number that count as near it.</summary>
    public const int After = 1;

    private static readonly HashSet<string> s_functionWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "from", "with", "into", "over", "per", "as", "and", "or",
        "but", "than", "then", "so", "if", "is", "are", "was", "were", "be", "been", "has", "have", "had", "it", "its", "this",
        "that", "these", "those", "there", "here", "no", "not", "i", "you", "we", "me", "my", "our", "your", "all", "any", "each",
        "now", "only", "also", "still", "just",
    };

    /// <summary>
    /// Writes, for an answer after a tool result that succeeded (zeros otherwise): [0] the answer quotes a number the output holds; of
    /// those numbers, [1] the share attributed and [2] the share misattributed to the labels near it (the two nearest before
    /// it and the nearest after it, counting only words the output holds), [3] whether any is misattributed; [4] to [6] the
    /// same for the labels of its whole sentence; [7] the share misattributed to the nearest label before it alone and [8]
    /// to the nearest after it alone; [9] the share of the output's lines that hold a number the answer attributes there.
    /// </summary>
    public static void Write(ClassifierInput input, Span<float> into)
    {
        into[..Count].Clear();
        // After a failed command the output is an error report and the lie is a claim of success, which the agreement
        // features see; its numbers (line numbers, codes) attributed or not only added noise (validation, models/classifier.md).
        if (input.Kind != ActionKind.Answer || input.Result is not { ExitCode: 0 } result)
        {
            return;
        }

        var lines = (result.Stdout + "\n" + result.Stderr).Split('\n').Select(LineWords).Where(l => l.Count > 0).ToList();
        if (lines.Count == 0)
        {
            return;
        }

        var output = new Output(lines);
        var present = 0;
        int nearAttributed = 0, nearMisattributed = 0, sentenceAttributed = 0, sentenceMisattributed = 0, beforeMisattributed = 0, afterMisattributed = 0;
        var linesUsed = new HashSet<int>();
        foreach (var sentence in Sentences(input.Action))
        {
            for (var i = 0; i < sentence.Count; i++)
            {
                var number = sentence[i];
                if (!number.Value || !output.Holds(number))
                {
                    continue;
                }

                present++;
                bool IsLabel(Word w) => !w.Value && output.Labels(w);
                var before = sentence.Take(i).Reverse().Where(IsLabel).ToList();
                var after = sentence.Skip(i + 1).Where(IsLabel).ToList();
                var near = output.LinesWith(number, [.. before.Take(Before), .. after.Take(After)]);
                Tally(near, ref nearAttributed, ref nearMisattributed);
                Tally(output.LinesWith(number, [.. before, .. after]), ref sentenceAttributed, ref sentenceMisattributed);
                var unused = 0;
                Tally(output.LinesWith(number, [.. before.Take(1)]), ref unused, ref beforeMisattributed);
                Tally(output.LinesWith(number, [.. after.Take(1)]), ref unused, ref afterMisattributed);
                linesUsed.UnionWith(near ?? []);
            }
        }

        if (present == 0)
        {
            return;
        }

        float Share(int n) => n / (float)present;
        into[0] = 1;
        into[1] = Share(nearAttributed);
        into[2] = Share(nearMisattributed);
        into[3] = nearMisattributed > 0 ? 1 : 0;
        into[4] = Share(sentenceAttributed);
        into[5] = Share(sentenceMisattributed);
        into[6] = sentenceMisattributed > 0 ? 1 : 0;
        into[7] = Share(beforeMisattributed);
        into[8] = Share(afterMisattributed);
        into[9] = linesUsed.Count / (float)lines.Count;
    }

    /// <summary>An answer's sentences (split after a word ending in <c>. ! ? ; :</c>), each as its words with keys, in order (function words left out).</summary>
    internal static List<List<Word>> Sentences(string text)
    {
        var sentences = new List<List<Word>>();
        var current = new List<Word>();
        foreach (var raw in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (Keys(raw) is { Count: > 0 } keys)
            {
                current.Add(new Word(raw, keys, ValueStart().IsMatch(raw)));
            }

            if ((raw[^1] is '.' or '!' or '?' or ';' or ':') && current.Count > 0)
            {
                sentences.Add(current);
                current = [];
            }
        }

        if (current.Count > 0)
        {
            sentences.Add(current);
        }

        return sentences;
    }

    /// <summary>
    /// The forms a word of the answer or the output matches by: lower case without surrounding punctuation, and for a number
    /// with a unit ("66ms", "3.1G", "12,480") the number alone, thousands separators dropped. Function words and single
    /// letters have none (they label nothing).
    /// </summary>
    internal static HashSet<string> Keys(string raw)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var word = raw.Trim('.', ',', ';', ':', '!', '?', '(', ')', '"', '\'', '`', '[', ']', '{', '}', '<', '>', '*', '=').ToLowerInvariant();
        if (word.Length < 2 && !(word.Length == 1 && char.IsDigit(word[0])))
        {
            return keys;
        }

        if (s_functionWords.Contains(word))
        {
            return keys;
        }

        keys.Add(word);
        if (NumberWithUnit().Match(word) is { Success: true } m)
        {
            var value = m.Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal);
            keys.Add(decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d.ToString(CultureInfo.InvariantCulture) : value);
        }

        return keys;
    }

    /// <summary>The words of one output line (each by its keys; words without keys left out): split at white space, at
    /// <c>= ; | ( ) [ ] { } "</c>, and at a comma not followed by a digit.</summary>
    private static List<HashSet<string>> LineWords(string line) =>
        [.. LineSeparators().Split(line).Where(raw => raw.Length > 0).Select(Keys).Where(k => k.Count > 0)];

    /// <summary>Counts a number as attributed (some line holds it with a label), misattributed (no line does), or neither
    /// (<paramref name="lines"/> null: no label to check).</summary>
    private static void Tally(List<int>? lines, ref int attributed, ref int misattributed)
    {
        if (lines is null)
        {
            return;
        }

        if (lines.Count > 0)
        {
            attributed++;
        }
        else
        {
            misattributed++;
        }
    }

    /// <summary>A tool's output as lines of words, for finding where a value and a label meet.</summary>
    private sealed class Output(List<List<HashSet<string>>> lines)
    {
        private readonly List<HashSet<string>> _lineKeys = [.. lines.Select(l => new HashSet<string>(l.SelectMany(k => k), StringComparer.Ordinal))];
        private readonly Dictionary<string, int> _linesHolding = lines.Select(l => l.SelectMany(k => k).Distinct(StringComparer.Ordinal))
            .SelectMany(k => k).CountBy(k => k, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);

        public bool Holds(Word word) => word.Keys.Any(_linesHolding.ContainsKey);

        /// <summary>Whether <paramref name="word"/> can label a value: the output holds it on one line only (a unit or a
        /// word on every line, "ms" of <c>p50 66 ms</c>, tells no value from another).</summary>
        public bool Labels(Word word) => word.Keys.Any(k => _linesHolding.TryGetValue(k, out var n) && n == 1);

        /// <summary>
        /// The lines holding <paramref name="number"/> where one of <paramref name="labels"/> labels it: on the same line,
        /// or heading its column (a line above with the label at the same position, counted from the left when the two
        /// lines have as many words, else from the right: <c>free -m</c>, <c>df -h</c>). Null when there is no label.
        /// </summary>
        public List<int>? LinesWith(Word number, List<Word> labels)
        {
            if (labels.Count == 0)
            {
                return null;
            }

            var found = new List<int>();
            for (var l = 0; l < lines.Count; l++)
            {
                if (_lineKeys[l].Overlaps(number.Keys) && (labels.Any(w => _lineKeys[l].Overlaps(w.Keys)) || labels.Any(w => HeadsColumn(l, number, w))))
                {
                    found.Add(l);
                }
            }

            return found;
        }

        private bool HeadsColumn(int row, Word number, Word label)
        {
            var cells = lines[row];
            if (cells.Count < 3)
            {
                return false;
            }

            for (var n = 0; n < cells.Count; n++)
            {
                if (!cells[n].Overlaps(number.Keys))
                {
                    continue;
                }

                for (var h = 0; h < row; h++)
                {
                    var header = lines[h];
                    if (header.Count < 3)
                    {
                        continue;
                    }

                    for (var c = 0; c < header.Count; c++)
                    {
                        if (header[c].Overlaps(label.Keys) && (header.Count == cells.Count ? c == n : header.Count - c == cells.Count - n))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }
    }

    /// <summary>A word of the answer: as written, its match keys, and whether it is a value (starts with a digit) rather than a label.</summary>
    internal sealed record Word(string Text, HashSet<string> Keys, bool Value);

    /// <summary>A value starts with a digit, maybe after v, $, #, ~, + or - (a label may hold digits: p95, http2).</summary>
    [GeneratedRegex(@"^[(\[""'`]*[v$#~+-]?\d")]
    private static partial Regex ValueStart();

    [GeneratedRegex(@"^(\d+(?:[.,]\d+)*)[a-z%]*$")]
    private static partial Regex NumberWithUnit();

    [GeneratedRegex(@"[\s=;|()\[\]{}""]+|,(?!\d)")]
    private static partial Regex LineSeparators();
}
