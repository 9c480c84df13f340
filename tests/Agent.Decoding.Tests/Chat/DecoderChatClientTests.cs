using System.Diagnostics;
using Agent.Decoding.Chat;
using Agent.Decoding.Transcripts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel.ChatCompletion;
using SkAuthorRole = Microsoft.SemanticKernel.ChatCompletion.AuthorRole;

namespace Agent.Decoding.Tests.Chat;

public sealed class DecoderChatClientTests(ShippedModelFixture shipped) : IClassFixture<ShippedModelFixture>
{
    private const string TaskText = "List the files in /srv/app.";

    [Fact]
    public async Task GetResponseAsync_TaskOnShippedModel_IsTheDecodersOwnLineParsedWithItsTraceAndUsage()
    {
        var client = shipped.Decoder.AsChatClient("agent-default", ShippedModelFixture.AgentConstraints);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, TaskText)]);

        // The same step straight from the decoder: the client adds rendering and parsing, nothing else.
        var prompt = TranscriptFormat.Default.RenderPromptForNextAgentStep(Conversation.StartTask(TaskText));
        var direct = await shipped.Decoder.GenerateAsync(new GenerationRequest(prompt) { Constraints = ShippedModelFixture.AgentConstraints, MaxTokens = 256, StopStrings = ["\n"] });
        var trace = response.GetTemptationTrace();
        Assert.NotNull(trace);
        Assert.Equal(direct.Trace.Entries.Select(e => e.TokenId), trace.Entries.Select(e => e.TokenId));
        Assert.Equal(direct.Trace.Entries.Select(e => e.Probabilities[2]), trace.Entries.Select(e => e.Probabilities[2]));
        Assert.Equal(shipped.Decoder.TagNames, trace.Tags);
        Assert.Equal(direct.Text, response.AdditionalProperties![TagChatResponses.LineKey]);
        Assert.Equal(trace.Entries.Length, response.Usage!.OutputTokenCount);
        Assert.Equal(direct.PromptTokens, response.Usage.InputTokenCount);
        Assert.Equal("agent-default", response.ModelId);

        // The message is the parsed line.
        Assert.True(TranscriptFormat.Default.TryParseAgentLine(direct.Text, out var action, out _), $"the shipped model wrote an invalid line: {direct.Text}");
        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        if (action.Call is { } call)
        {
            Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
            var content = Assert.IsType<FunctionCallContent>(Assert.Single(message.Contents));
            Assert.Equal(call.Name, content.Name);
            Assert.Equal(call.GetArguments().Select(a => a.Key), content.Arguments!.Keys);
        }
        else
        {
            Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
            Assert.Equal(action.AnswerText, message.Text);
        }
    }

    [Fact]
    public async Task Pipeline_UseOpenTelemetryAndUseLogging_RecordTheGenAiSpanAndLogAndKeepTheTrace()
    {
        const string SourceName = "Agent.Decoding.Tests.Chat";
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName,
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var logs = new CapturingLoggerFactory();
        using var client = shipped.Decoder.AsChatClient("agent-default", ShippedModelFixture.AgentConstraints)
            .AsBuilder()
            .UseOpenTelemetry(sourceName: SourceName)
            .UseLogging(logs)
            .Build();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, TaskText)], new ChatOptions { MaxOutputTokens = 64 });

        var trace = response.GetTemptationTrace();
        Assert.NotNull(trace);
        var span = Assert.Single(spans);
        Assert.Equal("chat", span.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("agent-default", span.GetTagItem("gen_ai.request.model"));
        Assert.Equal("llama.cpp", span.GetTagItem("gen_ai.provider.name"));
        Assert.Equal(64, span.GetTagItem("gen_ai.request.max_tokens"));
        Assert.Equal(trace.Entries.Length, Convert.ToInt32(span.GetTagItem("gen_ai.usage.output_tokens"), System.Globalization.CultureInfo.InvariantCulture));

        // At trace level the logging client writes the response as JSON, the trace included.
        Assert.Contains(logs.Messages, m => m.Contains("GetResponseAsync completed", StringComparison.Ordinal) && m.Contains(TagChatResponses.TraceKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StreamsEveryTokenAndEndsWithFinishUsageAndTrace()
    {
        var client = shipped.Decoder.AsChatClient("agent-default", ShippedModelFixture.AgentConstraints);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, TaskText)]))
        {
            updates.Add(update);
        }

        var last = updates[^1];
        var trace = last.GetTemptationTrace();
        Assert.NotNull(trace);
        Assert.All(updates[..^1], u => Assert.Null(u.GetTemptationTrace()));
        Assert.Equal(trace.Entries.Length, updates.Count - 1);
        Assert.Equal(string.Concat(trace.Entries.Select(e => e.Text)), string.Concat(updates[..^1].Select(u => u.Text)));
        Assert.NotNull(last.FinishReason);
        Assert.Equal(trace.Entries.Length, Assert.Single(last.Contents.OfType<UsageContent>()).Details.OutputTokenCount);
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
    }

    [Fact]
    public async Task SemanticKernel_AsChatCompletionService_GetsTheStepWithTheTraceInItsMetadata()
    {
        var client = shipped.Decoder.AsChatClient("agent-default", ShippedModelFixture.AgentConstraints);
        var service = client.AsChatCompletionService();
        var history = new ChatHistory();
        history.AddUserMessage(TaskText);

        var message = await service.GetChatMessageContentAsync(history);

        Assert.Equal(SkAuthorRole.Assistant, message.Role);
        Assert.Equal("agent-default", message.ModelId);
        var trace = Assert.IsType<TemptationTrace>(message.Metadata?[TagChatResponses.TraceKey]);
        var result = Assert.IsType<GenerationResult>(message.InnerContent); // the decoder's own result, as the raw representation
        Assert.Same(result.Trace, trace);
        Assert.Equal(trace.Entries.Length, Assert.IsType<UsageDetails>(message.Metadata["Usage"]).OutputTokenCount);
        Assert.True(
            message.Items.OfType<Microsoft.SemanticKernel.FunctionCallContent>().Any() || !string.IsNullOrEmpty(message.Content),
            "the step is a call or an answer");
    }

    [Fact]
    public async Task GetResponseAsync_BadInput_ThrowsClearErrorsBeforeDecoding()
    {
        var client = shipped.Decoder.AsChatClient("agent-default", ShippedModelFixture.AgentConstraints);

        var system = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.System, "be nice"), new ChatMessage(ChatRole.User, TaskText)]));
        Assert.Contains("no 'system' turn", system.Message, StringComparison.Ordinal);
        var orphan = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, TaskText), new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call-1", "42")])]));
        Assert.Contains("call-1", orphan.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, TaskText)], new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([], null));
        Assert.Throws<UnknownTagException>(() => shipped.Decoder.AsChatClient("agent-default", DecodingConstraints.None.Ban("angry")));
    }

    [Fact]
    public async Task GetResponseAsync_ToolResultAfterACall_IsRenderedAsTheTranscriptsResultTurn()
    {
        var client = shipped.Decoder.AsChatClient("agent-default", ShippedModelFixture.AgentConstraints);
        ChatMessage[] messages =
        [
            new(ChatRole.User, TaskText),
            new(ChatRole.Assistant, [new FunctionCallContent("call-1", "shell.run", new Dictionary<string, object?> { ["command"] = "ls -la /srv/app" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call-1", "total 0")]),
        ];

        var response = await client.GetResponseAsync(messages);

        // The decoder saw exactly the transcript the runtime would render for these turns.
        var conversation = Conversation.StartTask(TaskText)
            .Append(new ToolCallTurn(ToolCall.Parse("shell.run", "{\"command\":\"ls -la /srv/app\"}")))
            .Append(new ToolResultTurn("shell.run", 0, "total 0"));
        var direct = await shipped.Decoder.GenerateAsync(new GenerationRequest(TranscriptFormat.Default.RenderPromptForNextAgentStep(conversation))
        {
            Constraints = ShippedModelFixture.AgentConstraints,
            MaxTokens = 256,
            StopStrings = ["\n"],
        });
        Assert.Equal(direct.Text, response.AdditionalProperties![TagChatResponses.LineKey]);
        Assert.Equal(direct.PromptTokens, response.Usage!.InputTokenCount);
    }

    /// <summary>Collects formatted log messages at every level.</summary>
    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly Lock _sync = new();
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_sync)
                {
                    return [.. _messages];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_sync)
            {
                _messages.Add(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
