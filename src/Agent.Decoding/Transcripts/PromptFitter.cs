namespace Agent.Decoding.Transcripts;

/// <summary>
/// Keeps a rendered transcript within the model's context: the task turn stays, then whole turns are dropped from the
/// oldest on until the prompt fits. Turns are found at line starts with a mode tag; the transcript format escapes tag
/// text in untrusted output, so no tool output can fake a boundary.
/// </summary>
public static class PromptFitter
{
    /// <summary>The prompt, shortened by whole turns so that <paramref name="countTokens"/> of it is at most <paramref name="budget"/>.</summary>
    /// <exception cref="ArgumentException">Even the task turn plus the last turn exceed the budget.</exception>
    public static string Fit(string prompt, Func<string, int> countTokens, int budget) => Fit(prompt, countTokens, budget, "\n<mode", 1, 1);

    /// <summary>
    /// The prompt, shortened by whole turns: a turn starts at each <paramref name="boundary"/> (at its character
    /// <paramref name="startInBoundary"/>); the first <paramref name="keptTurns"/> turns (a system prompt, the task) and the
    /// last (the open agent turn) stay, and turns are dropped from the oldest on until it fits.
    /// </summary>
    /// <exception cref="ArgumentException">The kept turns plus the last turn exceed the budget.</exception>
    internal static string Fit(string prompt, Func<string, int> countTokens, int budget, string boundary, int startInBoundary, int keptTurns)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(countTokens);
        if (countTokens(prompt) <= budget)
        {
            return prompt;
        }

        var starts = new List<int> { 0 };
        for (var i = prompt.IndexOf(boundary, StringComparison.Ordinal); i >= 0; i = prompt.IndexOf(boundary, i + 1, StringComparison.Ordinal))
        {
            if (i + startInBoundary > 0 && i + startInBoundary < prompt.Length)
            {
                starts.Add(i + startInBoundary);
            }
        }

        // Keep the leading turns and drop the next ones, oldest first, while the last one (the open agent turn) stays.
        for (var drop = keptTurns + 1; drop < starts.Count; drop++)
        {
            var candidate = string.Concat(prompt.AsSpan(0, starts[keptTurns]), prompt.AsSpan(starts[drop]));
            if (countTokens(candidate) <= budget)
            {
                return candidate;
            }
        }

        throw new ArgumentException(
            $"The task and the last turn alone are longer than the model's context budget of {budget} tokens; shorten the task or use a model with a longer context.",
            nameof(prompt));
    }
}
