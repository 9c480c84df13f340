using System.Text;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// Escaping of free text (task text, tool output, answer and prose text) so that it can never contain tag text.
/// </summary>
/// <remarks>
/// <para>Rule: after every '&lt;' that is followed by zero or more '\', an optional '/', and an ASCII letter,
/// one '\' is inserted. So <c>&lt;mode2&gt;</c> in a tool's output renders as <c>&lt;\mode2&gt;</c>,
/// <c>&lt;/deceit&gt;</c> as <c>&lt;\/deceit&gt;</c>, and an already escaped <c>&lt;\x</c> as <c>&lt;\\x</c>.</para>
/// <para>Escaped text never holds '&lt;' directly followed by a letter or "/letter", so untrusted text cannot
/// forge a mode tag (a turn), a behaviour tag, or a line that starts a turn, whatever tag names are configured.
/// The rule is a bijection: <see cref="Unescape(string)"/> removes exactly one '\' at each escaped site.</para>
/// </remarks>
public static class UntrustedText
{
    /// <summary>Escapes tag-looking text.</summary>
    /// <param name="text">Raw text.</param>
    /// <returns>Text without any tag-looking '&lt;'.</returns>
    public static string Escape(string text) => Escape(text, LooksLikeTagAfter);

    /// <summary>Reverses <see cref="Escape(string)"/>.</summary>
    /// <param name="text">Escaped text.</param>
    /// <returns>The raw text.</returns>
    public static string Unescape(string text) => Unescape(text, LooksLikeTagAfter);

    /// <summary>
    /// Inserts one '' after every '&lt;' at which <paramref name="marked"/> (given the text and the index after the
    /// '&lt;') holds. Any rule that skips leading '' before deciding is a bijection with <see cref="Unescape(string, Func{string, int, bool})"/>.
    /// </summary>
    internal static string Escape(string text, Func<string, int, bool> marked)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains('<', StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            sb.Append(text[i]);
            if (text[i] == '<' && marked(text, i + 1))
            {
                sb.Append('\\');
            }
        }

        return sb.ToString();
    }

    /// <summary>Removes exactly the '' that <see cref="Escape(string, Func{string, int, bool})"/> inserted with the same rule.</summary>
    internal static string Unescape(string text, Func<string, int, bool> marked)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains("<\\", StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            sb.Append(text[i]);
            if (text[i] == '<' && i + 1 < text.Length && text[i + 1] == '\\' && marked(text, i + 1))
            {
                i++; // drop the one inserted backslash
            }
        }

        return sb.ToString();
    }

    /// <summary>Whether <paramref name="text"/> contains tag-looking text that <see cref="Escape(string)"/> would change.</summary>
    /// <param name="text">Text to check.</param>
    /// <returns><see langword="true"/> when some '&lt;' needs escaping.</returns>
    public static bool NeedsEscaping(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = text.IndexOf('<', StringComparison.Ordinal); i >= 0; i = text.IndexOf('<', i + 1))
        {
            if (LooksLikeTagAfter(text, i + 1))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>'\'* '/'? ASCII-letter starting at <paramref name="j"/>.</summary>
    internal static bool LooksLikeTagAfter(string text, int j)
    {
        while (j < text.Length && text[j] == '\\')
        {
            j++;
        }

        if (j < text.Length && text[j] == '/')
        {
            j++;
        }

        return j < text.Length && char.IsAsciiLetter(text[j]);
    }
}
