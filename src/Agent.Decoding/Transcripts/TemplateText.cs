using System.Text;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// Escaping of free text inside a chat template's messages: what <see cref="UntrustedText"/> escapes (tag text) and also
/// the template's own delimiters (<c>&lt;|im_start|&gt;</c>, <c>&lt;|eot_id|&gt;</c>, ...), which the decoder would read as
/// special tokens; so a task or a tool's output can neither forge a tag nor open a turn.
/// </summary>
/// <remarks>Rule: after every '&lt;' followed by zero or more '\' and then '|', or an optional '/' and an ASCII letter, one '\'
/// is inserted; <see cref="Unescape"/> removes exactly one at each such site (a bijection, as <see cref="UntrustedText"/>).</remarks>
internal static class TemplateText
{
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains('<', StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            sb.Append(text[i]);
            if (text[i] == '<' && NeedsMark(text, i + 1))
            {
                sb.Append('\\');
            }
        }

        return sb.ToString();
    }

    public static string Unescape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains("<\\", StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            sb.Append(text[i]);
            if (text[i] == '<' && i + 1 < text.Length && text[i + 1] == '\\' && NeedsMark(text, i + 1))
            {
                i++;
            }
        }

        return sb.ToString();
    }

    private static bool NeedsMark(string text, int j)
    {
        while (j < text.Length && text[j] == '\\')
        {
            j++;
        }

        return (j < text.Length && text[j] == '|') || UntrustedText.LooksLikeTagAfter(text, j);
    }
}
