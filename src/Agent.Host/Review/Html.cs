using System.Globalization;
using System.Text;

namespace Agent.Host.Review;

/// <summary>
/// How the review page writes untrusted text (a task, a model's line, a tool's output): HTML-escaped, and every
/// invisible control or formatting character (bidirectional overrides and isolates, zero-width characters, C0/C1
/// controls other than newline and tab) replaced by a visible <c>[U+XXXX]</c> marker, so text that reorders or hides
/// itself on screen shows what it is. The only way page code turns a string into markup.
/// </summary>
internal static class Html
{
    /// <summary>Escapes <paramref name="text"/> for element content; control characters become marked-up <c>[U+XXXX]</c> spans.</summary>
    public static string Text(string? text) => Escape(text, attribute: false);

    /// <summary>Escapes <paramref name="text"/> for a double-quoted attribute value; control characters become plain <c>[U+XXXX]</c>.</summary>
    public static string Attr(string? text) => Escape(text, attribute: true);

    /// <summary>Whether <paramref name="rune"/> is shown as a marker: it is invisible, reorders text, or is a control character.</summary>
    public static bool IsHidden(Rune rune) => rune.Value is not ('\n' or '\t')
        && Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    private static string Escape(string? text, bool attribute)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var html = new StringBuilder(text.Length + 16);
        // EnumerateRunes yields U+FFFD for a lone surrogate, so no half character reaches the page.
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsHidden(rune))
            {
                var code = string.Create(CultureInfo.InvariantCulture, $"U+{rune.Value:X4}");
                html.Append(attribute ? $"[{code}]" : $"<span class=\"ctl\" title=\"hidden character {code}\">[{code}]</span>");
                continue;
            }

            switch (rune.Value)
            {
                case '&': html.Append("&amp;"); break;
                case '<': html.Append("&lt;"); break;
                case '>': html.Append("&gt;"); break;
                case '"': html.Append("&quot;"); break;
                case '\'': html.Append("&#39;"); break;
                default: html.Append(rune.ToString()); break;
            }
        }

        return html.ToString();
    }
}
