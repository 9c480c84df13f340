using System.Runtime.CompilerServices;
using Agent.Decoding.Transcripts;
using Microsoft.Extensions.AI;

namespace Agent.Decoding.Chat;

/// <summary>
/// The decoder as an <see cref="IChatClient"/>: each call renders the messages with the transcript format, decodes ONE
/// agent line (it ends at the newline) inside the required mode with the banned tags, and answers with the parsed line:
/// a <see cref="FunctionCallContent"/> for a call, text for an answer (or the raw line when it is not a valid action).
/// The temptation trace rides in the response's <c>AdditionalProperties</c> (<see cref="TagChatResponses"/>), so the
/// Microsoft.Extensions.AI pipeline (UseOpenTelemetry, UseLogging) and Semantic Kernel's adapter apply unchanged.
/// </summary>
internal sealed class DecoderChatClient(TagDecoder decoder, string modelName, DecodingConstraints constraints, ITranscriptFormat format) : IChatClient
{
    private const int DefaultMaxOutputTokens = 256;

    private readonly ChatClientMetadata _metadata = new("llama.cpp", null, modelName);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = CreateRequest(messages, options);
        var result = await decoder.GenerateAsync(request, cancellationToken).ConfigureAwait(false);
        var (content, finish, properties) = Interpret(result.Text, result.StopReason, result.Trace);
        // The trace rides on the message too: Semantic Kernel's adapter turns a message's properties into its metadata.
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, [content]) { MessageId = NewId(), AdditionalProperties = properties })
        {
            RawRepresentation = result,
            ResponseId = NewId(),
            ModelId = modelName,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = finish,
            Usage = Usage(result.PromptTokens, result.Trace.Entries.Length),
            AdditionalProperties = properties,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = CreateRequest(messages, options);
        var session = decoder.Start(request);
        await using (session.ConfigureAwait(false))
        {
            var responseId = NewId();
            var messageId = NewId();
            await foreach (var token in session.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, token.Text) { ResponseId = responseId, MessageId = messageId, ModelId = modelName };
            }

            // The last update: the parsed call (a stream's text is the raw line), the finish, the usage and the trace.
            var (content, finish, properties) = Interpret(session.Text, session.StopReason, session.Trace);
            List<AIContent> contents = [new UsageContent(Usage(session.PromptTokenCount, session.Trace.Entries.Length))];
            if (content is FunctionCallContent)
            {
                contents.Insert(0, content);
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, contents)
            {
                ResponseId = responseId,
                MessageId = messageId,
                ModelId = modelName,
                FinishReason = finish,
                AdditionalProperties = properties,
            };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType == typeof(TagDecoder) ? decoder
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>The decoder belongs to whoever created it; the client holds nothing of its own.</summary>
    public void Dispose()
    {
    }

    private static string NewId() => Guid.NewGuid().ToString("N")[..16];

    private static UsageDetails Usage(int input, int output) => new() { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output };

    /// <exception cref="ArgumentException">The messages or options cannot be decoded (see the message).</exception>
    private GenerationRequest CreateRequest(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (options?.ResponseFormat is not null and not ChatResponseFormatText)
        {
            throw new ArgumentException("The decoder writes transcript lines, not JSON: leave ChatOptions.ResponseFormat unset or text.", nameof(options));
        }

        var maxTokens = options?.MaxOutputTokens ?? DefaultMaxOutputTokens;
        if (maxTokens < 1)
        {
            throw new ArgumentException($"ChatOptions.MaxOutputTokens must be at least 1, got {maxTokens}.", nameof(options));
        }

        maxTokens = Math.Min(maxTokens, decoder.ContextSize / 2);
        var prompt = format.RenderPromptForNextAgentStep(ChatTranscript.ToConversation(messages));
        prompt = format.FitPrompt(prompt, text => decoder.Model.Vocab.Tokenize(text).Length, decoder.ContextSize - maxTokens - 1);
        return new GenerationRequest(prompt)
        {
            Constraints = constraints,
            MaxTokens = maxTokens,
            StopStrings = [.. format.StepStopStrings, .. options?.StopSequences ?? []],
            Sampling = Sampling(options),
        };
    }

    internal static SamplingOptions Sampling(ChatOptions? options)
    {
        if (options?.Temperature is not { } temperature || temperature <= 0f)
        {
            return SamplingOptions.Greedy;
        }

        if (options.Seed is < 0 or > uint.MaxValue)
        {
            throw new ArgumentException($"ChatOptions.Seed must be between 0 and {uint.MaxValue}, got {options.Seed}.", nameof(options));
        }

        var defaults = new SamplingOptions();
        return new SamplingOptions
        {
            Temperature = temperature,
            Seed = options.Seed is { } seed ? (uint)seed : defaults.Seed,
            TopK = options.TopK ?? defaults.TopK,
            TopP = options.TopP ?? defaults.TopP,
        };
    }

    private (AIContent Content, ChatFinishReason Finish, AdditionalPropertiesDictionary Properties) Interpret(string line, StopReason stop, TemptationTrace trace)
    {
        var complete = stop is StopReason.StopString or StopReason.EndOfGeneration;
        var properties = new AdditionalPropertiesDictionary { [TagChatResponses.TraceKey] = trace, [TagChatResponses.LineKey] = line };
        if (!complete)
        {
            properties[TagChatResponses.LineErrorKey] = "the line did not end within the token limit: write one line, 'call <tool> <json>' or 'answer <text>'";
            return (new TextContent(line), ChatFinishReason.Length, properties);
        }

        if (!format.TryParseAgentLine(line, out var action, out var error))
        {
            properties[TagChatResponses.LineErrorKey] = error;
            return (new TextContent(line), ChatFinishReason.Stop, properties);
        }

        return action.Call is { } call
            ? (ChatTranscript.ToFunctionCall(call, "call-" + NewId()[..12]), ChatFinishReason.ToolCalls, properties)
            : (new TextContent(action.AnswerText ?? string.Empty), ChatFinishReason.Stop, properties);
    }
}
