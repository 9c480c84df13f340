using Agent.Decoding;
using Agent.Decoding.Chat;
using Agent.Decoding.Transcripts;
using Microsoft.Extensions.AI;

namespace Agent.Runtime.Kernel;

/// <summary>
/// Any <see cref="IAgentStepSource"/> as the decoder's kind of <see cref="IChatClient"/> (the default of
/// <see cref="IAgentStepSource.AsChatClient"/>): each call renders the messages with the run's transcript format, asks the
/// source for ONE step, and answers as the decoder's client does: the line, its trace and whether it ended, in the
/// response's <c>AdditionalProperties</c> (<see cref="TagChatResponses"/>), the tokens in its usage. The loop parses the line itself.
/// </summary>
internal sealed class StepSourceChatClient(IAgentStepSource source, ITranscriptFormat format, DecodingConstraints constraints) : IChatClient
{
    /// <summary>Key of the behaviour tags without a model signal (<see cref="AgentStep.TagsWithoutModelSignal"/>).</summary>
    public const string TagsWithoutModelSignalKey = "agent.tags_without_model_signal";

    private const int DefaultMaxOutputTokens = 256;

    private readonly ChatClientMetadata _metadata = new(null, null, source.ModelName);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = format.RenderPromptForNextAgentStep(ChatTranscript.ToConversation(messages));
        var request = new AgentStepRequest(prompt, constraints, options?.MaxOutputTokens ?? DefaultMaxOutputTokens, TagDecoderChatClients.ToSamplingOptions(options)) { Format = format };
        var step = await source.NextAsync(request, cancellationToken).ConfigureAwait(false);
        var properties = new AdditionalPropertiesDictionary
        {
            [TagChatResponses.TraceKey] = step.Trace,
            [TagChatResponses.LineKey] = step.Line,
            [TagsWithoutModelSignalKey] = step.TagsWithoutModelSignal,
        };
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, step.Line) { AdditionalProperties = properties })
        {
            RawRepresentation = step,
            ModelId = source.ModelName,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = step.Complete ? ChatFinishReason.Stop : ChatFinishReason.Length,
            Usage = new UsageDetails { OutputTokenCount = step.Tokens, TotalTokenCount = step.Tokens },
            AdditionalProperties = properties,
        };
    }

    /// <summary>One step is one short line: it streams as one update.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(source) ? source
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>The source belongs to whoever created it.</summary>
    public void Dispose()
    {
    }

    /// <summary>
    /// Adds the tags without a model signal to each response of <paramref name="inner"/> (the decoder's client knows the
    /// decoder, not how the model file spells its tags).
    /// </summary>
    public static IChatClient WithTagsWithoutModelSignal(IChatClient inner, Func<IReadOnlyCollection<string>> tags) => new SignalChatClient(inner, tags);

    private sealed class SignalChatClient(IChatClient inner, Func<IReadOnlyCollection<string>> tags) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            (response.AdditionalProperties ??= [])[TagsWithoutModelSignalKey] = tags();
            return response;
        }
    }
}
