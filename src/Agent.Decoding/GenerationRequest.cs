namespace Agent.Decoding;

/// <summary>One generation: a prompt, its constraints, its limits and how to sample.</summary>
public sealed record GenerationRequest
{
    /// <summary>Creates a request.</summary>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    public GenerationRequest(string prompt)
    {
        if (string.IsNullOrEmpty(prompt))
        {
            throw new ArgumentException("The prompt is empty: give the model some text to continue.", nameof(prompt));
        }

        Prompt = prompt;
    }

    /// <summary>The text to continue (control tags in it are parsed as tag tokens).</summary>
    public string Prompt { get; }

    /// <summary>The constraints at the first token.</summary>
    public DecodingConstraints Constraints { get; init; } = DecodingConstraints.None;

    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 128;

    /// <summary>Strings that end the generation (the result's text stops before them).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>How to choose tokens.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;
}
