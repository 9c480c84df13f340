namespace Agent.Runtime;

/// <summary>
/// Produces the model's next transcript line and its temptation trace. The production source generates with the
/// <see cref="Agent.Decoding.TagDecoder"/> (<see cref="AgentStepSources.FromDecoder"/>); tests that need a specific line
/// score it with the same decoder (teacher forcing), so the trace is still the model's own.
/// </summary>
public interface IAgentStepSource
{
    /// <summary>The model's name, recorded with every run and log entry.</summary>
    string ModelName { get; }

    /// <summary>
    /// The model's chat template (its GGUF's <c>tokenizer.chat_template</c>), or null when it has none: the loop then
    /// renders the project's own transcript format (<c>TranscriptFormat.ForModel</c>).
    /// </summary>
    string? ChatTemplate => null;

    /// <summary>Produces one line.</summary>
    /// <exception cref="ArgumentException">The prompt does not fit the model's context.</exception>
    Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default);
}
