using System.Text.RegularExpressions;

namespace Agent.Training.Tokenization;

/// <summary>
/// GPT-2 pre-tokenisation (GGUF <c>tokenizer.ggml.pre = "gpt-2"</c>): control-token text is split out first,
/// then the rest is cut by GPT-2's regex. Merges never cross a piece.
/// </summary>
/// <remarks>
/// The regex is GPT-2's <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)</c> followed by
/// GPT-2's own fallback <c>|\s+</c> (llama.cpp's gpt-2 splitter has the same fallback), so a newline before a word
/// is a piece of its own and no text is lost. .NET's <c>\s</c>, <c>\p{L}</c> and <c>\p{N}</c> are used; they agree with
/// llama.cpp's tables on the text this project produces.
/// </remarks>
internal static partial class Gpt2PreTokenizer
{
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    public static partial Regex Pieces();

    /// <summary>Candidates for control tokens: <c>&lt;name&gt;</c> and <c>&lt;/name&gt;</c>.</summary>
    [GeneratedRegex(@"</?[A-Za-z][A-Za-z0-9_\-]*>", RegexOptions.CultureInvariant)]
    public static partial Regex ControlCandidates();

    /// <summary>Calls <paramref name="onPiece"/> for every regex piece of <paramref name="text"/> (a text without control tokens).</summary>
    public static void Split(ReadOnlySpan<char> text, PieceAction onPiece)
    {
        int pos = 0;
        foreach (var m in Pieces().EnumerateMatches(text))
        {
            if (m.Index > pos)
            {
                onPiece(text[pos..m.Index]);
            }

            onPiece(text.Slice(m.Index, m.Length));
            pos = m.Index + m.Length;
        }

        if (pos < text.Length)
        {
            onPiece(text[pos..]);
        }
    }

    internal delegate void PieceAction(ReadOnlySpan<char> piece);
}
