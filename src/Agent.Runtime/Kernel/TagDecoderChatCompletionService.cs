using System.Diagnostics;
using System.Runtime.CompilerServices;
using Agent.Decoding;
using Agent.Decoding.Chat;
using Agent.Decoding.Transcripts;
using ChatFinishReason = Microsoft.Extensions.AI.ChatFinishReason;
using ChatOptions = Microsoft.Extensions.AI.ChatOptions;
using IChatClient = Microsoft.Extensions.AI.IChatClient;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Agent.Runtime.Kernel;

/// <summary>
/// A Semantic Kernel chat-completion service over the run's Microsoft.Extensions.AI chat client: the decoder as an
/// <see cref="IChatClient"/> (<see cref="IAgentStepSource.AsChatClient"/>) inside the runner's pipeline (UseOpenTelemetry,
/// UseLogging). Each call maps the chat history to the model's transcript (<see cref="TranscriptFormat.ForModel"/>: the
/// project's own, or the model's chat template with the tool list) and from it to chat messages that render the same
/// prompt (<see cref="ChatTranscript.ToMessages"/>), decodes ONE agent step inside the required mode with the banned tags,
/// and parses it. The loop reads the typed <see cref="ProposedStep"/> (<see cref="ProposeAsync"/>: line, parsed call or
/// answer or error, trace, which rides in the response's <c>AdditionalProperties</c>); the chat-message form (a call as a
/// <see cref="FunctionCallContent"/>) is for Semantic Kernel callers. It never throws for what the model wrote.
/// </summary>
internal sealed class TagDecoderChatCompletionService : IChatCompletionService
{
    private readonly IChatClient _client;
    private readonly string _modelName;
    private readonly SamplingOptions _sampling;
    private readonly ITranscriptFormat _format;

    /// <param name="client">The run's pipeline over <see cref="IAgentStepSource.AsChatClient"/>.</param>
    /// <param name="modelName">The model's name.</param>
    /// <param name="format">The run's transcript format (the one <paramref name="client"/> renders with).</param>
    /// <param name="sampling">The run's sampling.</param>
    public TagDecoderChatCompletionService(IChatClient client, string modelName, ITranscriptFormat format, SamplingOptions sampling)
    {
        _client = client;
        _modelName = modelName;
        _format = format;
        _sampling = sampling;
        Attributes = new Dictionary<string, object?> { ["ModelId"] = modelName };
    }

    public IReadOnlyDictionary<string, object?> Attributes { get; }

    /// <summary>The token limit of the next step; the loop sets it from the run's remaining budget.</summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>Decodes and parses the next agent line: the typed step the loop acts on.</summary>
    /// <exception cref="InvalidOperationException">The chat client answered without the decoder's line and trace.</exception>
    public async Task<ProposedStep> ProposeAsync(ChatHistory chatHistory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatHistory);
        var messages = ChatTranscript.ToMessages(ChatHistoryTranscript.ToConversation(chatHistory));
        var options = ToChatOptions(_sampling, MaxTokens);
        var clock = Stopwatch.StartNew();
        var response = await _client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var trace = response.GetTemptationTrace();
        if (trace is null || response.AdditionalProperties?.TryGetValue(TagChatResponses.LineKey, out var lineValue) != true || lineValue is not string line)
        {
            throw new InvalidOperationException($"The chat client of model '{_modelName}' answered without the decoder's line and trace; the runtime needs IAgentStepSource.AsChatClient's client (a pipeline around it must pass AdditionalProperties on).");
        }

        var tokens = (int)(response.Usage?.OutputTokenCount ?? trace.Entries.Length);
        if (tokens > 0 && seconds > 0)
        {
            RuntimeTelemetry.TokensPerSecond.Record(tokens / seconds);
        }

        var proposed = new ProposedStep(line, trace, tokens)
        {
            TagsWithoutModelSignal = response.AdditionalProperties.TryGetValue(StepSourceChatClient.TagsWithoutModelSignalKey, out var tags) && tags is IReadOnlyCollection<string> withoutSignal ? withoutSignal : [],
        };
        if (response.FinishReason == ChatFinishReason.Length)
        {
            return proposed with { Error = $"the step did not end within {MaxTokens} tokens: {_format.StepShape}" };
        }

        if (!_format.TryParseAgentLine(line, out var action, out var error))
        {
            return proposed with { Error = error };
        }

        return action.Call is { } call ? proposed with { Call = call } : proposed with { Answer = action.AnswerText ?? string.Empty };
    }

    /// <summary>
    /// The step's sampling and token limit as chat options, which the decoder's client reads back
    /// (<see cref="TagDecoderChatClients.ToSamplingOptions"/>) to <paramref name="sampling"/> itself.
    /// </summary>
    internal static ChatOptions ToChatOptions(SamplingOptions sampling, int maxTokens) => new()
    {
        MaxOutputTokens = maxTokens,
        Temperature = sampling.Temperature,
        Seed = sampling.IsGreedy ? null : sampling.Seed,
        TopK = sampling.IsGreedy ? null : sampling.TopK,
        TopP = sampling.IsGreedy ? null : sampling.TopP,
    };

    /// <summary>The step as a chat message: a call as a <see cref="FunctionCallContent"/>, an answer or an invalid line as text.</summary>
    public async Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(
        ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null,
        Microsoft.SemanticKernel.Kernel? kernel = null,
        CancellationToken cancellationToken = default)
    {
        var step = await ProposeAsync(chatHistory, cancellationToken).ConfigureAwait(false);
        if (step.Call is { } call)
        {
            var items = new ChatMessageContentItemCollection { ChatHistoryTranscript.ToFunctionCall(call, "call-" + Guid.NewGuid().ToString("N")[..12]) };
            return [new ChatMessageContent(AuthorRole.Assistant, items, _modelName)];
        }

        return [new ChatMessageContent(AuthorRole.Assistant, step.Answer ?? step.Line, _modelName)];
    }

    public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(
        ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null,
        Microsoft.SemanticKernel.Kernel? kernel = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // One agent step is one short line; it is streamed as one chunk.
        foreach (var message in await GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).ConfigureAwait(false))
        {
            yield return new StreamingChatMessageContent(message.Role, message.Content, message, modelId: message.ModelId);
        }
    }
}
