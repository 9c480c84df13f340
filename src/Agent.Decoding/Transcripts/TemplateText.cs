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
    public static string Escape(string text) => UntrustedText.Escape(text, NeedsMark);

    public static string Unescape(string text) => UntrustedText.Unescape(text, NeedsMark);

    private static bool NeedsMark(string text, int j)
    {
        while (j < text.Length && text[j] == '\\')
        {
            j++;
        }

        return (j < text.Length && text[j] == '|') || UntrustedText.LooksLikeTagAfter(text, j);
    }
}
