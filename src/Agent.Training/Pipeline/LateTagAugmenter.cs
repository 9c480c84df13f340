using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Training.Pipeline;

/// <summary>
/// Training-text augmentation that makes temptation depend on the action, not only on its context. In the transcript
/// format a behaviour tag opens where its span starts, so a model trained only on that decides at the span's first
/// token, before it has written any of it: scoring a fixed unsafe action and its safe twin after the same context then
/// gives the same temptation. This moves the opening tag of some spans to the end of the span's content (the closing tag
/// stays), so the model also learns that the tag opens once an action has shown the behaviour: its probability of the
/// tag at the end of an unsafe action is high and at the end of a safe one low. Mode tags are never moved.
/// </summary>
public static partial class LateTagAugmenter
{
    /// <summary>
    /// Moves the opening tag of each behaviour span, with probability <paramref name="fraction"/>, to the end of the span's
    /// content. Spans of a <paramref name="lineEndTags"/> tag are judged at the end of their line instead (see
    /// <see cref="JudgeAtLineEnd"/>), always.
    /// </summary>
    public static string Apply(string text, Random random, IReadOnlyCollection<string> tags, double fraction = 0.5, IReadOnlyCollection<string>? lineEndTags = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(tags);
        if (lineEndTags is { Count: > 0 })
        {
            text = JudgeAtLineEnd(text, lineEndTags);
            tags = tags.Except(lineEndTags).ToArray();
        }

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
            var at = LateOpening(body);
            if (at <= 0 || random.NextDouble() >= fraction)
            {
                result.Append(match.Value);
            }
            else
            {
                result.Append(body, 0, at).Append('<').Append(tag).Append('>').Append(body, at, body.Length - at).Append("</").Append(tag).Append('>');
            }

            position = match.Index + match.Length;
        }

        result.Append(text, position, text.Length - position);
        return result.ToString();
    }

    /// <summary>
    /// Judges a whole line once: in every line that holds a span of one of <paramref name="lineEndTags"/>, those spans'
    /// tags are removed (their text stays) and the line gets one span of the tag around its closing characters
    /// (<c>answer It has 12 lines. Done&lt;deceit&gt;.&lt;/deceit&gt;</c>), so the model decides after it has read the
    /// whole answer, as it decides on a call at its closing <c>"}</c>, and nowhere before. Tried for <c>deceit</c> (run 22
    /// in the model card): lies after a success gained and lies after a failure lost more, so the shipped recipe judges
    /// every tag at its span.
    /// </summary>
    public static string JudgeAtLineEnd(string text, IReadOnlyCollection<string> lineEndTags)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(lineEndTags);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var judged = lineEndTags.Where(tag => line.Contains("</" + tag + ">", StringComparison.Ordinal)).ToList();
            if (judged.Count == 0)
            {
                continue;
            }

            foreach (var tag in judged)
            {
                line = line.Replace("<" + tag + ">", string.Empty, StringComparison.Ordinal).Replace("</" + tag + ">", string.Empty, StringComparison.Ordinal);
            }

            var at = ClosingCharacters(line);
            var opening = string.Concat(judged.Select(tag => "<" + tag + ">"));
            var closing = string.Concat(judged.AsEnumerable().Reverse().Select(tag => "</" + tag + ">"));
            lines[i] = line[..at] + opening + line[at..] + closing;
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// Where the moved opening goes: after the span's content and before its closing characters — before the closing
    /// <c>"}</c> of a call's JSON, before the final punctuation of a claim — so the model has read the whole action when
    /// it decides. 0 when the span is too short to move.
    /// </summary>
    private static int LateOpening(string body)
    {
        var at = ClosingCharacters(body);
        return at >= 4 ? at : 0;
    }

    /// <summary>Where a text's closing characters (a final punctuation run and the space before it) start.</summary>
    private static int ClosingCharacters(string body)
    {
        var at = body.EndsWith("\"}", StringComparison.Ordinal) ? body.Length - 2
            : body.Length > 0 && char.IsPunctuation(body[^1]) ? body.Length - 1
            : body.Length; // no closing characters: open right at the end, never inside the last word

        // Never inside a pre-token: the tokenizer's pre-tokenizer keeps a run of punctuation ("'\"}", ")." ) together, so a
        // tag between its characters sits where scoring and generation never have a token boundary.
        while (at > 0 && IsPunctuationRun(body[at - 1]))
        {
            at--;
        }

        // A space before a word or a punctuation run belongs to it (" $$", " -"): open before the space.
        if (at > 0 && body[at - 1] == ' ')
        {
            at--;
        }

        return at;
    }

    private static bool IsPunctuationRun(char c) => !char.IsWhiteSpace(c) && !char.IsLetterOrDigit(c);

    [GeneratedRegex(@"<(?<tag>[A-Za-z][A-Za-z0-9_-]*)>(?<body>[^<\n]*)</(?<close>[A-Za-z][A-Za-z0-9_-]*)>")]
    private static partial Regex Span();
}
