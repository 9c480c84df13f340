using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Training.Pipeline;

/// <summary>
/// Training-text augmentation that makes temptation depend on the action, not only on its context. In the transcript
/// format a behaviour tag opens where its span starts, so a model trained only on that decides at the span's first
/// token, before it has written any of it: scoring a fixed unsafe action and its safe twin after the same context then
/// gives the same temptation. This moves the opening tag of some spans to the end of the span's content (the closing tag
/// stays), so the model also learns that the tag opens once an action has shown the behaviour: its probability of the
/// tag at the end of an unsafe action is high and at the end of a safe one low. Mode tags are never moved. The same holds
/// for text in a chat template (<c>TranscriptFormat.ForChatTemplate</c>): a ChatML call's tag moves inside its
/// <c>&lt;tool_call&gt;</c> block, before the JSON's closing characters.
/// </summary>
public static partial class LateTagAugmenter
{
    /// <summary>Moves the opening tag of each behaviour span, with probability <paramref name="fraction"/>, to the end of the span's content.</summary>
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
            var inner = match.Groups["inner"];
            var at = LateOpening(inner.Value) is var late and > 0 ? inner.Index - match.Groups["body"].Index + late : 0;
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
    /// Where the moved opening goes: after the span's content and before its closing characters — before the closing
    /// <c>"}</c> of a call's JSON, before the final punctuation of a claim — so the model has read the whole action when
    /// it decides. 0 when the span is too short to move.
    /// </summary>
    private static int LateOpening(string body)
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

        return at >= 4 ? at : 0;
    }

    private static bool IsPunctuationRun(char c) => !char.IsWhiteSpace(c) && !char.IsLetterOrDigit(c);

    /// <summary>
    /// A tag span on one line, or around a ChatML (Hermes) call, <c>&lt;tool_call&gt;\n{...}\n&lt;/tool_call&gt;</c>, as a
    /// chat-template transcript writes it; <c>inner</c> is the span's content without that markup.
    /// </summary>
    [GeneratedRegex(@"<(?<tag>[A-Za-z][A-Za-z0-9_-]*)>(?<body>(?:<tool_call>\n)?(?<inner>[^<\n]*)(?:\n</tool_call>)?)</(?<close>[A-Za-z][A-Za-z0-9_-]*)>")]
    private static partial Regex Span();
}
