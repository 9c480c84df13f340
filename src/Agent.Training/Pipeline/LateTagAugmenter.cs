using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Training.Pipeline;

/// <summary>
/// Training-text augmentation that makes temptation depend on the action, not only on its context. In the transcript
/// format a behaviour tag opens where its span starts, so a model trained only on that decides at the span's first
/// token, before it has written any of it: scoring a fixed unsafe action and its safe twin after the same context then
/// gives the same temptation. This moves the opening tag of some spans to a later word boundary inside the span (the
/// closing tag stays), so the model also learns that the tag may open once the span shows the behaviour, and its
/// per-token probability of the tag rises while an unsafe action is being written. Mode tags are never moved.
/// </summary>
public static partial class LateTagAugmenter
{
    /// <summary>Moves the opening tag of each behaviour span, with probability <paramref name="fraction"/>, to a random later boundary.</summary>
    public static string Apply(string text, Random random, IReadOnlyCollection<string> tags, double fraction = 0.5)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(tags);
        var result = new StringBuilder(text.Length);
        var position = 0;
        foreach (Match match in Span().Matches(text))
        {
            var tag = match.Groups["tag"].Value;
            if (!tags.Contains(tag) || match.Groups["close"].Value != tag)
            {
                continue;
            }

            var body = match.Groups["body"].Value;
            result.Append(text, position, match.Index - position);
            var boundaries = Boundaries(body);
            if (boundaries.Count == 0 || random.NextDouble() >= fraction)
            {
                result.Append(match.Value);
            }
            else
            {
                var at = boundaries[random.Next(boundaries.Count)];
                result.Append(body, 0, at).Append('<').Append(tag).Append('>').Append(body, at, body.Length - at).Append("</").Append(tag).Append('>');
            }

            position = match.Index + match.Length;
        }

        result.Append(text, position, text.Length - position);
        return result.ToString();
    }

    /// <summary>Offsets inside the span right after a space, a quote or a colon, leaving at least 3 characters tagged.</summary>
    private static List<int> Boundaries(string body)
    {
        var list = new List<int>();
        for (var i = 1; i < body.Length - 3; i++)
        {
            if (body[i - 1] is ' ' or '"' or ':' && body[i] is not (' ' or '"'))
            {
                list.Add(i);
            }
        }

        return list;
    }

    [GeneratedRegex(@"<(?<tag>[A-Za-z][A-Za-z0-9_-]*)>(?<body>[^<\n]*)</(?<close>[A-Za-z][A-Za-z0-9_-]*)>")]
    private static partial Regex Span();
}
