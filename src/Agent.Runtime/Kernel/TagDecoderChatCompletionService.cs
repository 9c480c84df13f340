using System.Diagnostics;
using System.Runtime.CompilerServices;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Agent.Runtime.Kernel;

/// <summary>
/// A Semantic Kernel chat-completion service over the constrained decoder. Each call renders the chat history with
/// the training transcript format (<see cref="TranscriptFormat.Default"/>, the same code the corpus uses), decodes ONE
/// agent line inside the required mode with the banned tags, and parses it: a call becomes a
/// <see cref="FunctionCallContent"/>, an answer text; either way the step's temptation trace rides in the message
/// metadata (<see cref="AgentMetadata.Trace"/>). A line that is not a valid action comes back as an assistant message
/// with <see cref="AgentMetadata.Error"/> set; it never throws for what the model wrote.
/// </summary>
internal sealed class TagDecoderChatCompletionService : IChatCompletionService
{
    private readonly IAgentStepSource _source;
    private readonly DecodingConstraints _constraints;
    private readonly SamplingOptions _sampling;

    public TagDecoderChatCompletionService(IAgentStepSource source, DecodingConstraints constraints, SamplingOptions sampling)
    {
        _source = source;
        _constraints = constraints;
        _sampling = sampling;
        Attributes = new Dictionary<string, object?> { ["ModelId"] = source.ModelName };
    }

    public IReadOnlyDictionary<string, object?> Attributes { get; }

    /// <summary>The token limit of the next step; the loop sets it from the run's remaining budget.</summary>
    public int MaxTokens { get; set; } = 256;

    public async Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(
        ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null,
        Microsoft.SemanticKernel.Kernel? kernel = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatHistory);
        var prompt = TranscriptFormat.Default.RenderPromptForNextAgentStep(ChatHistoryTranscript.ToConversation(chatHistory));
        var clock = Stopwatch.StartNew();
        var step = await _source.NextAsync(new AgentStepRequest(prompt, _constraints, MaxTokens, _sampling), cancellationToken).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        if (step.Tokens > 0 && seconds > 0)
        {
            RuntimeTelemetry.TokensPerSecond.Record(step.Tokens / seconds);
        }

        var metadata = new Dictionary<string, object?>
        {
            [AgentMetadata.Trace] = step.Trace,
            [AgentMetadata.Line] = step.Line,
            [AgentMetadata.Tokens] = step.Tokens,
            [AgentMetadata.Seconds] = seconds,
        };

        if (!step.Complete)
        {
            metadata[AgentMetadata.Error] = $"the line did not end within {MaxTokens} tokens: write one line, 'call <tool> <json>' or 'answer <text>'";
            return [new ChatMessageContent(AuthorRole.Assistant, step.Line, _source.ModelName, metadata: metadata)];
        }

        if (!TranscriptFormat.Default.TryParseAgentLine(step.Line, out var action, out var error))
        {
            metadata[AgentMetadata.Error] = error;
            return [new ChatMessageContent(AuthorRole.Assistant, step.Line, _source.ModelName, metadata: metadata)];
        }

        if (action.Call is { } call)
        {
            metadata[AgentMetadata.Call] = call;
            var items = new ChatMessageContentItemCollection { ChatHistoryTranscript.ToFunctionCall(call, "call-" + Guid.NewGuid().ToString("N")[..12]) };
            return [new ChatMessageContent(AuthorRole.Assistant, items, _source.ModelName, metadata: metadata)];
        }

        return [new ChatMessageContent(AuthorRole.Assistant, action.AnswerText ?? string.Empty, _source.ModelName, metadata: metadata)];
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
            yield return new StreamingChatMessageContent(message.Role, message.Content, message, modelId: message.ModelId, metadata: message.Metadata);
        }
    }
}
