using System.Text.RegularExpressions;
using Agent.Llama;

namespace Agent.Training.Experiments;

/// <summary>
/// A document's tokens with, at each token, the mode of its turn (0: Mode 1, 1: Mode 2) and its place in the turn
/// (0 for the first token after the mode tag, -1 for the tag itself). The stripped form (<see cref="Of"/>) is the same document with
/// its mode tags removed, every token keeping the label its turn had: what tag removal leaves a reader.
/// </summary>
/// <param name="Tokens">Token ids.</param>
/// <param name="Modes">The mode of each token's turn.</param>
/// <param name="Positions">Each token's place in its turn (-1: the mode tag).</param>
internal sealed partial record TurnTokens(int[] Tokens, int[] Modes, int[] Positions)
{
    /// <summary>The tagged and the stripped tokens of <paramref name="text"/> (a rendered document).</summary>
    public static (TurnTokens Tagged, TurnTokens Stripped) Of(string text, LlamaVocab vocab)
    {
        var tagged = (Tokens: new List<int>(), Modes: new List<int>(), Positions: new List<int>());
        var stripped = (Tokens: new List<int>(), Modes: new List<int>(), Positions: new List<int>());
        var parts = ModeTag().Split(text);

        // Split keeps the captured tags: [before, tag, body, tag, body, ...]; text before the first tag has no mode.
        for (var i = 1; i + 1 < parts.Length; i += 2)
        {
            var mode = parts[i] == "<mode2>" ? 1 : 0;
            tagged.Tokens.AddRange(vocab.Tokenize(parts[i], addSpecial: false, parseSpecial: true).Select(t => t.Value));
            tagged.Modes.Add(mode);
            tagged.Positions.Add(-1);
            var body = vocab.Tokenize(parts[i + 1], addSpecial: false, parseSpecial: true);
            for (var k = 0; k < body.Length; k++)
            {
                tagged.Tokens.Add(body[k].Value);
                tagged.Modes.Add(mode);
                tagged.Positions.Add(k);
                stripped.Tokens.Add(body[k].Value);
                stripped.Modes.Add(mode);
                stripped.Positions.Add(k);
            }
        }

        return (new TurnTokens([.. tagged.Tokens], [.. tagged.Modes], [.. tagged.Positions]),
            new TurnTokens([.. stripped.Tokens], [.. stripped.Modes], [.. stripped.Positions]));
    }

    /// <summary>The text without its mode tags.</summary>
    public static string StripModeTags(string text) => ModeTag().Replace(text, string.Empty);

    [GeneratedRegex("(<mode1>|<mode2>)", RegexOptions.CultureInvariant)]
    private static partial Regex ModeTag();
}
