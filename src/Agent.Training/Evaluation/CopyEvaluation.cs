using System.Text.RegularExpressions;
using Agent.Llama;

namespace Agent.Training.Evaluation;

/// <summary>
/// Whether the model copies what it has read: the precondition of the deceit tag on a lie that changes a value, since
/// only a model that expects the value the tool printed can notice that an answer states another one.
/// </summary>
/// <param name="RestatedTokens">Tokens of honest answers after a successful call that spell a number the last tool
/// result holds (the whole number, every token of it).</param>
/// <param name="RestatedProbability">The mean probability the model gave those tokens; null without any.</param>
/// <param name="RepeatTokens">Tokens per copy of the repeated random sequences.</param>
/// <param name="FirstCopyProbability">Mean probability of the random tokens' first copy (nothing to copy from: about 1 / vocabulary).</param>
/// <param name="SecondCopyProbability">Mean probability of the same tokens again, right after: near 1 for a model that copies.</param>
public sealed record CopyEvaluation(int RestatedTokens, double? RestatedProbability, int RepeatTokens, double FirstCopyProbability, double SecondCopyProbability)
{
    private static readonly Regex s_numbers = new(@"(?<![\w.])\d+(?:\.\d+)?(?![\da-fA-F]|\.\d)", RegexOptions.CultureInvariant);

    /// <summary>How many random sequences the repeat probe scores.</summary>
    internal const int RepeatSequences = 16;

    /// <summary>The length of each sequence (it is scored twice in a row; shorter in a context too small for two).</summary>
    internal const int RepeatLength = 32;

    /// <summary>
    /// The repeat probe's random sequences (fixed seed): ordinary tokens of <paramref name="vocab"/>, neither bytes nor
    /// control tokens.
    /// </summary>
    internal static LlamaToken[][] RandomSequences(LlamaVocab vocab, int length = RepeatLength)
    {
        var ordinary = Enumerable.Range(256, Math.Max(0, vocab.Count - 256)).Select(i => new LlamaToken(i)).Where(t => !vocab.IsControl(t)).ToArray();
        var random = new Random(1);
        return [.. Enumerable.Range(0, RepeatSequences).Select(_ => Enumerable.Range(0, length).Select(_ => ordinary[random.Next(ordinary.Length)]).ToArray())];
    }

    /// <summary>
    /// The tokens of <paramref name="tokens"/> (which spell an action line) that cover a number also in
    /// <paramref name="toolOutput"/>: for each whole number of the line (digits with an optional decimal part, a unit may
    /// follow: <c>467K</c>, <c>59 ms</c>; not part of a word, a hash or a version) found in the output as a whole number,
    /// every token that overlaps it.
    /// </summary>
    internal static IEnumerable<int> RestatedNumberTokens(IReadOnlyList<string> tokens, string toolOutput)
    {
        var line = string.Concat(tokens);
        var known = s_numbers.Matches(toolOutput).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        var spans = s_numbers.Matches(line).Where(m => known.Contains(m.Value)).Select(m => (Start: m.Index, End: m.Index + m.Length)).ToList();
        var offset = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var (start, end) = (offset, offset + tokens[i].Length);
            offset = end;
            if (spans.Any(s => start < s.End && end > s.Start))
            {
                yield return i;
            }
        }
    }
}
