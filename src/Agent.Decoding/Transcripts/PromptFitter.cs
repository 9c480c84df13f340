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
    public static string Fit(string prompt, Func<string, int> countTokens, int budget)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(countTokens);
        if (countTokens(prompt) <= budget)
        {
            return prompt;
        }

        var starts = new List<int> { 0 };
        for (var i = prompt.IndexOf('\n', StringComparison.Ordinal); i >= 0 && i < prompt.Length - 1; i = prompt.IndexOf('\n', i + 1))
        {
            if (string.CompareOrdinal(prompt, i + 1, "<mode", 0, 5) == 0)
            {
                starts.Add(i + 1);
            }
        }

        // Keep turn 0 (the task) and drop turns 1, 2, ... while the last one (the open agent turn) stays.
        for (var drop = 2; drop < starts.Count; drop++)
        {
            var candidate = string.Concat(prompt.AsSpan(0, starts[1]), prompt.AsSpan(starts[drop]));
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
