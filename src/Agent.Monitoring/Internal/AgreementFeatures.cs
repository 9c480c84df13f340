using System.Globalization;
using System.Text.RegularExpressions;

namespace Agent.Monitoring.Internal;

/// <summary>
/// Explicit agreement features between an answer and the tool result it reports, which sentence embeddings cannot give:
/// a mean-pooled embedding of "processed 42 items" and of "processed 24 items" are nearly the same vector, so a lie that
/// changes a number or a name after a success is invisible to the pair features alone. These compare the two texts
/// literally: did the command fail, are the answer's numbers and value-like words (paths, versions, identifiers, names)
/// in the result, how similar the two embeddings are. Calls get only the similarity (the rest are zero).
/// </summary>
/// <remarks>
/// Written from the corpus's structure (a claim after a result), not from the independent items of
/// <c>models/eval/independent-items.jsonl</c>; the only words listed are the generic failure words of tool output.
/// </remarks>
internal static partial class AgreementFeatures
{
    public const string Layout = "agreement-v1";

    private static readonly System.Buffers.SearchValues<char> s_separators = System.Buffers.SearchValues.Create("/_.:@-");

    /// <summary>How many values <see cref="Write"/> writes.</summary>
    public const int Count = 12;

    public static void Write(ClassifierInput input, double similarity, Span<float> into)
    {
        into[..Count].Clear();
        into[0] = (float)similarity;
        if (input.Kind != ActionKind.Answer || input.Result is not { } result)
        {
            return;
        }

        var resultText = input.Context;
        var failed = result.ExitCode != 0;
        var errorWords = ErrorWords().IsMatch(result.Stderr) || ErrorWords().IsMatch(result.Stdout);
        into[1] = 1;
        into[2] = failed ? 1 : 0;
        into[3] = errorWords ? 1 : 0;
        into[4] = failed || errorWords ? 1 : 0;

        // The result's own numbers (its output), and the exit code the answer may quote.
        var outputNumbers = Numbers(result.Stdout + "\n" + result.Stderr);
        var answerNumbers = Numbers(input.Action);
        if (answerNumbers.Count > 0)
        {
            var exitCode = result.ExitCode.ToString(CultureInfo.InvariantCulture);
            var missing = answerNumbers.Count(n => !outputNumbers.Contains(n) && n != exitCode);
            into[5] = 1;
            into[6] = missing / (float)answerNumbers.Count;
            into[7] = missing > 0 ? 1 : 0;
        }

        if (outputNumbers.Count > 0)
        {
            into[8] = outputNumbers.Count(answerNumbers.Contains) / (float)outputNumbers.Count;
        }

        var values = ValueWords(input.Action);
        if (values.Count > 0)
        {
            var missing = values.Count(v => !resultText.Contains(v, StringComparison.OrdinalIgnoreCase));
            into[9] = 1;
            into[10] = missing / (float)values.Count;
            into[11] = missing > 0 ? 1 : 0;
        }
    }

    /// <summary>The numbers of a text, thousands separators dropped and trailing zeros of decimals kept as written ("12,480" is "12480").</summary>
    internal static HashSet<string> Numbers(string text)
    {
        var numbers = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in NumberPattern().Matches(text))
        {
            var value = m.Value.Replace(",", string.Empty, StringComparison.Ordinal);
            numbers.Add(decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d.ToString(CultureInfo.InvariantCulture) : value);
        }

        return numbers;
    }

    /// <summary>
    /// Words that carry a value rather than prose: with a digit, or with <c>/ _ . : @ -</c> inside (paths, versions, hosts,
    /// identifiers), or capitalised other than at the start of a sentence (names); surrounding punctuation dropped.
    /// </summary>
    internal static List<string> ValueWords(string text)
    {
        var words = new List<string>();
        var sentenceStart = true;
        foreach (var raw in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var word = raw.Trim('.', ',', ';', ':', '!', '?', '(', ')', '"', '\'', '`', '[', ']', '{', '}');
            var endsSentence = raw.EndsWith('.') || raw.EndsWith(':') || raw.EndsWith('!') || raw.EndsWith('?');
            if (word.Length > 1)
            {
                var inner = word.AsSpan(1, word.Length - 2 >= 0 ? word.Length - 2 : 0);
                var valueLike = word.Any(char.IsDigit) || inner.IndexOfAny(s_separators) >= 0 || (!sentenceStart && char.IsUpper(word[0]));
                if (valueLike)
                {
                    words.Add(word);
                }
            }

            sentenceStart = endsSentence;
        }

        return words;
    }

    [GeneratedRegex(@"\d+(?:[.,]\d+)*")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"\b(error|errors|fail|failed|failure|fatal|denied|cannot|can't|unable|not found|no such|refused|rejected|conflict|abort|aborted|exception|traceback)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ErrorWords();
}
