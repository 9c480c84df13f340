using Agent.Runtime.Storage;

namespace Agent.Host.Review;

/// <summary>
/// What the per-token heat map of an action says, shared by the review page and <c>agent review show</c>: per behaviour
/// tag (mode tags are left out) each token's pre-ban probability, where it rose, and which tokens the model itself
/// found surprising. Values are always given as numbers beside the shading, never by colour alone.
/// </summary>
internal static class HeatMap
{
    /// <summary>A token is marked where a tag's probability rose by at least this much from the token before (or from 0 at the first).</summary>
    public const double RiseThreshold = 0.05;

    /// <summary>A token the model gave less than this probability is marked surprising (more than 3.3 bits of surprisal).</summary>
    public const double SurprisingBelow = 0.1;

    /// <summary>Probabilities below this are shown as not tempted (no number in the heat line).</summary>
    public const double Noticeable = 0.05;

    /// <summary>The columns of <paramref name="trace"/>'s behaviour tags (mode tags are not behaviours).</summary>
    public static IReadOnlyList<int> TagColumns(ActionTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        return Enumerable.Range(0, trace.Tags.Length).Where(c => !trace.Tags[c].StartsWith("mode", StringComparison.Ordinal)).ToList();
    }

    /// <summary>Token <paramref name="index"/>'s probability for the tag in <paramref name="column"/> (0 when the token has none).</summary>
    public static double P(ActionTrace trace, int index, int column)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var p = trace.Tokens[index].Probabilities;
        return column < p.Length ? p[column] : 0;
    }

    /// <summary>How much the tag's probability rose at token <paramref name="index"/> over the token before (from 0 at the first).</summary>
    public static double Rise(ActionTrace trace, int index, int column) =>
        P(trace, index, column) - (index == 0 ? 0 : P(trace, index - 1, column));

    /// <summary>Whether the tag's probability rose by at least <see cref="RiseThreshold"/> at token <paramref name="index"/>.</summary>
    public static bool Rose(ActionTrace trace, int index, int column) => Rise(trace, index, column) >= RiseThreshold;

    /// <summary>Whether the model gave the token less than <see cref="SurprisingBelow"/>.</summary>
    public static bool Surprising(ActionTraceToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.TokenProbability < SurprisingBelow;
    }

    /// <summary>The token's surprisal, -log2 of the probability the model gave it, in bits.</summary>
    public static double SurprisalBits(ActionTraceToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return -Math.Log2(Math.Max(token.TokenProbability, 1e-12));
    }

    /// <summary>Whether the trace carries the model's p(Mode 2) per token (the model has a mode head).</summary>
    public static bool HasMode(ActionTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        return trace.Tokens.Length > 0 && trace.Tokens.All(t => t.Mode2 is not null);
    }

    /// <summary>The summary of p(Mode 2) in words: <c>mean 0.912 min 0.403</c>, or why there is none.</summary>
    public static string ModeSummary(Agent.Runtime.Policy.ModeSignal? mode) => mode is null
        ? "none (the model has no mode head)"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"mean {mode.Mean:0.###} min {mode.Min:0.###}");

    /// <summary>The shading level 0..10 of a probability (each level a tenth).</summary>
    public static int Level(double p) => (int)Math.Clamp(Math.Ceiling(p * 10), 0, 10);

    /// <summary>The token with the highest probability for the tag, or -1 when the trace has no tokens.</summary>
    public static int Peak(ActionTrace trace, int column)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var best = -1;
        for (var i = 0; i < trace.Tokens.Length; i++)
        {
            if (best < 0 || P(trace, i, column) > P(trace, best, column))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>A token's text as shown in a heat map: newlines, tabs and a lone space made visible.</summary>
    public static string Visible(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? "∅" : text.Replace("\n", "⏎", StringComparison.Ordinal).Replace("\t", "⇥", StringComparison.Ordinal);
    }
}
