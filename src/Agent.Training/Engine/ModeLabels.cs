namespace Agent.Training.Engine;

/// <summary>
/// The mode of every token of a batch of windows, read from the mode tags in the tokens themselves: a token belongs to
/// the turn of the last <c>&lt;mode1&gt;</c> (class 0) or <c>&lt;mode2&gt;</c> (class 1) at or before it in its window,
/// the tag included. Tokens before any mode tag, and after a document separator (or a chat template's turn start) until
/// the next tag, have no label: in a chat template only the assistant's turns open with a mode tag, so the system, user
/// and tool turns belong to no mode.
/// </summary>
/// <param name="Rows">Indices (into the batch, window-major) of the labelled tokens.</param>
/// <param name="Classes">Each labelled token's class: 0 for Mode 1, 1 for Mode 2.</param>
internal sealed record ModeLabels(int[] Rows, int[] Classes)
{
    /// <summary>No label.</summary>
    public const int None = -1;

    /// <summary>Labels the tokens of <paramref name="inputs"/>, B windows of <paramref name="window"/> tokens.</summary>
    public static ModeLabels Of(ReadOnlySpan<int> inputs, int window, int plainToken, int agentToken, int? separator, int? turnStart = null)
    {
        var perToken = PerToken(inputs, window, plainToken, agentToken, separator, turnStart);
        var rows = new List<int>(perToken.Length);
        var classes = new List<int>(perToken.Length);
        for (var i = 0; i < perToken.Length; i++)
        {
            if (perToken[i] != None)
            {
                rows.Add(i);
                classes.Add(perToken[i]);
            }
        }

        return new ModeLabels([.. rows], [.. classes]);
    }

    /// <summary>Each token's class (0, 1) or <see cref="None"/>; the state resets at every window start.</summary>
    public static int[] PerToken(ReadOnlySpan<int> tokens, int window, int plainToken, int agentToken, int? separator, int? turnStart = null)
    {
        var labels = new int[tokens.Length];
        var current = None;
        for (var i = 0; i < tokens.Length; i++)
        {
            if (window > 0 && i % window == 0)
            {
                current = None;
            }

            var token = tokens[i];
            if (token == plainToken)
            {
                current = 0;
            }
            else if (token == agentToken)
            {
                current = 1;
            }
            else if (token == separator || token == turnStart)
            {
                current = None;
            }

            labels[i] = current;
        }

        return labels;
    }
}
