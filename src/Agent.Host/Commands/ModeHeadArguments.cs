using System.CommandLine;
using System.Globalization;

namespace Agent.Host.Commands;

/// <summary>The mode head's options, shared by <c>agent train</c> and <c>agent tune</c>, and their checks.</summary>
internal sealed class ModeHeadArguments
{
    /// <param name="besideWhat">What the head is written beside ("model", "merged model").</param>
    public ModeHeadArguments(string besideWhat)
    {
        Weight = new Option<float>("--mode-head-weight")
        {
            Description = $"Also train a mode head (p(mode2) at every token, written beside the {besideWhat} as <name>.mode-head.gguf) whose loss counts this many times; 0 = no head",
            DefaultValueFactory = _ => 0f,
        };
        Hidden = new Option<int>("--mode-head-hidden")
        {
            Description = "Give the mode head a hidden layer of this many units (silu); 0 = a linear head (needs --mode-head-weight)",
            DefaultValueFactory = _ => 0,
        };
    }

    public Option<float> Weight { get; }

    public Option<int> Hidden { get; }

    /// <summary>The weight and hidden units given.</summary>
    /// <exception cref="ArgumentException">A negative or non-finite weight, a hidden size outside 0 to 4096, or a hidden size without a head.</exception>
    public (float Weight, int Hidden) Read(ParseResult parseResult)
    {
        var weight = parseResult.GetValue(Weight);
        if (weight < 0f || !float.IsFinite(weight))
        {
            throw new ArgumentException($"--mode-head-weight {weight.ToString(CultureInfo.InvariantCulture)} must be finite and >= 0 (0: no mode head).");
        }

        var hidden = parseResult.GetValue(Hidden);
        if (hidden is < 0 or > 4096)
        {
            throw new ArgumentException($"--mode-head-hidden {hidden.ToString(CultureInfo.InvariantCulture)} must be between 0 (a linear head) and 4096.");
        }

        if (hidden > 0 && weight == 0f)
        {
            throw new ArgumentException("--mode-head-hidden shapes the mode head, and there is none without --mode-head-weight; pass --mode-head-weight W (for example 1) too.");
        }

        return (weight, hidden);
    }
}
