using System.Diagnostics;
using System.Runtime.CompilerServices;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Agent.Runtime.Kernel;

/// <summary>
/// A Semantic Kernel chat-completion service over the constrained decoder. Each call renders the chat history with
/// the model's transcript format (<see cref="TranscriptFormat.ForModel"/>: the project's own, the same code the corpus
/// uses, or the model's chat template with the tool list), decodes ONE agent step inside the required mode with the
/// banned tags, and parses it. The loop reads the typed
/// <see cref="ProposedStep"/> (<see cref="ProposeAsync"/>: line, parsed call or answer or error, trace); the chat-message
/// form (a call as a <see cref="FunctionCallContent"/>) is for Semantic Kernel callers. It never throws for what the model wrote.
/// </summary>
internal sealed class TagDecoderChatCompletionService : IChatCompletionService
{
    private static readonly string[] FinishedStop = ["stop"];
    private static readonly string[] FinishedLength = ["length"];

    private readonly IAgentStepSource _source;
    private readonly DecodingConstraints _constraints;
    private readonly SamplingOptions _sampling;
    private readonly ITranscriptFormat _format;

    public TagDecoderChatCompletionService(IAgentStepSource source, ITranscriptFormat format, DecodingConstraints constraints, SamplingOptions sampling)
    {
        _source = source;
        _format = format;
        _constraints = constraints;
        _sampling = sampling;
        Attributes = new Dictionary<string, object?> { ["ModelId"] = source.ModelName };
    }

    public IReadOnlyDictionary<string, object?> Attributes { get; }

    /// <summary>The token limit of the next step; the loop sets it from the run's remaining budget.</summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>Decodes and parses the next agent line: the typed step the loop acts on.</summary>
    public async Task<ProposedStep> ProposeAsync(ChatHistory chatHistory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatHistory);
        var prompt = _format.RenderPromptForNextAgentStep(ChatHistoryTranscript.ToConversation(chatHistory));
        // The model call as an OpenTelemetry gen_ai span (semantic conventions for generative AI): a child of agent.step,
        // which also covers the gate and the tool. Internal, not Client: the model runs in this process.
        using var activity = RuntimeTelemetry.Source.StartActivity("chat " + _source.ModelName, ActivityKind.Internal);
        activity?.SetTag("gen_ai.operation.name", "chat");
        activity?.SetTag("gen_ai.provider.name", "llama.cpp");
        activity?.SetTag("gen_ai.request.model", _source.ModelName);
        activity?.SetTag("gen_ai.request.max_tokens", MaxTokens);
        activity?.SetTag("gen_ai.request.temperature", (double)_sampling.Temperature);
        var clock = Stopwatch.StartNew();
        var step = await _source.NextAsync(new AgentStepRequest(prompt, _constraints, MaxTokens, _sampling) { Format = _format }, cancellationToken).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        activity?.SetTag("gen_ai.response.model", _source.ModelName);
        activity?.SetTag("gen_ai.usage.output_tokens", step.Tokens);
        activity?.SetTag("gen_ai.response.finish_reasons", step.Complete ? FinishedStop : FinishedLength);
        if (step.Tokens > 0 && seconds > 0)
        {
            RuntimeTelemetry.TokensPerSecond.Record(step.Tokens / seconds);
        }

        var proposed = new ProposedStep(step.Line, step.Trace, step.Tokens) { TagsWithoutModelSignal = step.TagsWithoutModelSignal };
        if (!step.Complete)
        {
            return proposed with { Error = $"the step did not end within {MaxTokens} tokens: {_format.StepShape}" };
        }

        if (!_format.TryParseAgentLine(step.Line, out var action, out var error))
        {
            return proposed with { Error = error };
        }

        return action.Call is { } call ? proposed with { Call = call } : proposed with { Answer = action.AnswerText ?? string.Empty };
    }

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
            return [new ChatMessageContent(AuthorRole.Assistant, items, _source.ModelName)];
        }

        return [new ChatMessageContent(AuthorRole.Assistant, step.Answer ?? step.Line, _source.ModelName)];
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
