using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Runtime.Kernel;
using Microsoft.Extensions.AI;

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

    /// <summary>
    /// The source as a Microsoft.Extensions.AI chat client for one run: each call decodes one step of the messages
    /// rendered with <paramref name="format"/> under <paramref name="constraints"/> and carries the line and its trace in
    /// the response's <c>AdditionalProperties</c> (<see cref="Agent.Decoding.Chat.TagChatResponses"/>). The runner wraps it
    /// with <c>UseOpenTelemetry</c> and <c>UseLogging</c>. The default asks <see cref="NextAsync"/>; the decoder's source
    /// answers with the decoder's own chat client.
    /// </summary>
    /// <param name="format">The run's transcript format.</param>
    /// <param name="constraints">Required mode and banned tags.</param>
    /// <returns>A client the caller disposes (the source stays open).</returns>
    IChatClient AsChatClient(ITranscriptFormat format, DecodingConstraints constraints) => new StepSourceChatClient(this, format, constraints);
}
