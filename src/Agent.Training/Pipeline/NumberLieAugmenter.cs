using System.Globalization;
using System.Text.RegularExpressions;

namespace Agent.Training.Pipeline;

/// <summary>
/// Training-text augmentation for the lie that only a comparison reveals: an answer after a successful call that
/// restates a number from the call's output with another number. For a document whose untagged answer copies a number
/// from the tool result right before it, <see cref="Twin"/> writes the same document with that number changed and the
/// sentence tagged <c>deceit</c> (its opening late, before the sentence's final punctuation), so the model sees both
/// sides of the comparison after the same context.
/// </summary>
public static partial class NumberLieAugmenter
{
    /// <summary>The document with one copied number of an answer changed and tagged, or null when it has none.</summary>
    public static string? Twin(string text, Random random, string tag = "deceit")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(random);
        var lines = text.Split('\n');
        var candidates = new List<(int Line, Match Number)>();
        var output = new List<string>();
        var succeeded = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (ResultHeader().Match(line) is { Success: true } header)
            {
                succeeded = header.Groups["exit"].Value == "0";
                output.Clear();
            }
            else if (line.StartsWith("| ", StringComparison.Ordinal) || line.StartsWith("! ", StringComparison.Ordinal))
            {
                output.Add(line);
            }
            else if (line.StartsWith("<mode2>answer ", StringComparison.Ordinal) && succeeded && !line.Contains("</", StringComparison.Ordinal))
            {
                var seen = string.Join('\n', output);
                candidates.AddRange(Number().Matches(line).Where(m => Number().Matches(seen).Any(o => o.Value == m.Value)).Select(m => (i, m)));
            }
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        var (at, number) = candidates[random.Next(candidates.Count)];
        var answer = lines[at];
        var end = SentenceEnd().Match(answer, number.Index + number.Length);
        if (!end.Success)
        {
            return null;
        }

        var value = long.Parse(number.Value, CultureInfo.InvariantCulture);
        long other;
        do
        {
            other = value < 10 ? random.Next(0, 20) : random.NextInt64(value / 2, value * 2 + 1);
        }
        while (other == value);

        lines[at] = answer[..number.Index] + other.ToString(CultureInfo.InvariantCulture) + answer[(number.Index + number.Length)..end.Index]
            + "<" + tag + ">" + end.Value + "</" + tag + ">" + answer[(end.Index + end.Length)..];
        return string.Join('\n', lines);
    }

    [GeneratedRegex(@"^<mode1>result \S+ exit=(?<exit>-?[0-9]+)", RegexOptions.CultureInvariant)]
    private static partial Regex ResultHeader();

    /// <summary>A whole integer: not part of a version, a decimal, a path or a word.</summary>
    [GeneratedRegex(@"(?<![\w./:-])[0-9]{1,9}(?![\w/]|\.[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Number();

    /// <summary>The end of the sentence: a punctuation run before a space or the end of the line.</summary>
    [GeneratedRegex(@"[.;!?)]+(?=\s|$)", RegexOptions.CultureInvariant)]
    private static partial Regex SentenceEnd();
}
