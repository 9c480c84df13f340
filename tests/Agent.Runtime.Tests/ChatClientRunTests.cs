using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Agent.Decoding;
using Agent.Decoding.Chat;
using Agent.Decoding.Transcripts;
using Agent.Runtime.Kernel;
using Agent.Runtime.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Agent.Runtime.Tests;

/// <summary>
/// The runner's model steps go through the Microsoft.Extensions.AI pipeline: the production step source
/// (<see cref="AgentStepSources.FromDecoder"/>) answers with the decoder's own IChatClient, wrapped with UseOpenTelemetry
/// and UseLogging. Real llama.cpp over a tiny model writes every line itself (nothing scripted), real SQLite, real Docker.
/// </summary>
[Collection(RuntimeCollectionDefinition.Name)]
public sealed class ChatClientRunTests
{
    private static readonly Dictionary<string, string?> ThreeSampledSteps = new()
    {
        ["Agent:MaxSteps"] = "3",
        ["Agent:MaxTokensPerStep"] = "24",
        ["Agent:Temperature"] = "0.8",
        ["Agent:Seed"] = "7",
    };

    [Fact]
    public async Task RunAsync_DecoderSource_EachStepIsAGenAiChatSpanOfThePipelineAndTheGateGetsItsTrace()
    {
        using var spans = new SpanRecorder();
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient, [], settings: ThreeSampledSteps,
            stepSource: decoder => AgentStepSources.FromDecoder(decoder, "tiny-decoder"));

        var run = await h.RunNewAsync("List the files in /workspace");
        var steps = await h.Store.GetStepsAsync(run.Id);

        Assert.NotEmpty(steps);
        var stepSpans = spans.Stopped.Where(s => s.OperationName == "agent.step" && Equals(s.GetTagItem("agent.run_id"), run.Id)).ToList();
        var chats = spans.Stopped.Where(s => s.GetTagItem("gen_ai.operation.name") is "chat" && stepSpans.Any(p => p.SpanId == s.ParentSpanId)).ToList();
        Assert.Equal(steps.Count, chats.Count);
        foreach (var (step, chat) in steps.OrderBy(s => s.Step).Zip(chats.OrderBy(c => c.StartTimeUtc)))
        {
            // MEAI's OpenTelemetryChatClient made this span (a Client span named after the model), not the runtime by hand.
            Assert.Equal("chat tiny-decoder", chat.DisplayName);
            Assert.Equal(ActivityKind.Client, chat.Kind);
            Assert.Equal("llama.cpp", chat.GetTagItem("gen_ai.provider.name"));
            Assert.Equal(24, chat.GetTagItem("gen_ai.request.max_tokens"));
            Assert.Equal(step.Tokens, Convert.ToInt32(chat.GetTagItem("gen_ai.usage.output_tokens"), CultureInfo.InvariantCulture));
            Assert.True(step.Tokens > 0, $"step {step.Step} generated no token");

            // The trace rode through the pipeline to the gate: the step's temptation is the model's per tag.
            Assert.Contains("powerseeking", step.Temptation.Keys);
            Assert.Contains("deceit", step.Temptation.Keys);
        }
    }

    [Fact]
    public async Task RunAsync_DecoderChatClientAndTheSourcesNextAsync_WriteTheSameStepsBitForBit()
    {
        // The same sampled run twice: through the decoder's IChatClient (the production path), and through the source's
        // NextAsync (the path the runtime took before, prompt rendered by the loop). Lines, tokens and temptation agree.
        var viaChatClient = await RunWithSourceAsync(decoder => AgentStepSources.FromDecoder(decoder, "tiny-decoder"));
        var viaNextAsync = await RunWithSourceAsync(decoder => new NextAsyncOnly(AgentStepSources.FromDecoder(decoder, "tiny-decoder")));

        Assert.NotEmpty(viaChatClient);
        Assert.Equal(viaNextAsync.Select(s => s.ModelLine), viaChatClient.Select(s => s.ModelLine));
        Assert.Equal(viaNextAsync.Select(s => s.Tokens), viaChatClient.Select(s => s.Tokens));
        Assert.Equal(viaNextAsync.Select(s => JsonSerializer.Serialize(s.Temptation)), viaChatClient.Select(s => JsonSerializer.Serialize(s.Temptation)));
        Assert.Equal(viaNextAsync.Select(s => s.Result?.Stderr), viaChatClient.Select(s => s.Result?.Stderr));
    }

    [Fact]
    public void ChatMessages_OfAHistoryWithCallsErrorsAndAnAnswer_RenderTheLoopsOwnPromptExactly()
    {
        // Every kind of finished step the history holds: a call with a failed, truncated result; an invalid line (a result
        // with no call); a call with non-string arguments; an answer the gate sent back.
        StepRecord[] steps =
        [
            new() { RunId = "r1", Step = 1, Kind = StepKind.Call, Tool = "shell.run", Arguments = """{"command":"ls -la /srv"}""", Status = StepStatus.Completed, Result = new ToolOutcome(2, "out\n| x", "no such file", true) },
            new() { RunId = "r1", Step = 2, Kind = StepKind.Malformed, Status = StepStatus.Invalid, Result = ToolOutcome.NotRun(ToolOutcome.InvalidCallExitCode, "invalid step: expected 'call' or 'answer'") },
            new() { RunId = "r1", Step = 3, Kind = StepKind.Call, Tool = "files.read", Arguments = """{"limit":5,"path":"a.txt","recursive":true}""", Status = StepStatus.Completed, Result = new ToolOutcome(0, "hello", string.Empty, false) },
            new() { RunId = "r1", Step = 4, Kind = StepKind.Answer, Tool = "answer", Arguments = """{"text":"done"}""", Status = StepStatus.Blocked, Result = ToolOutcome.NotRun(126, "blocked: powerseeking") },
        ];
        var history = AgentRunner.BuildHistory("List the files in /srv", steps);
        var conversation = ChatHistoryTranscript.ToConversation(history);

        var messages = ChatTranscript.ToMessages(conversation);

        var format = TranscriptFormat.Default;
        Assert.Equal(format.RenderPromptForNextAgentStep(conversation), format.RenderPromptForNextAgentStep(ChatTranscript.ToConversation(messages)));
        Assert.Equal(8, conversation.Turns.Length);
        Assert.Contains("exit=2", TranscriptFormat.Default.RenderPromptForNextAgentStep(ChatTranscript.ToConversation(messages)), StringComparison.Ordinal);
    }

    [Fact]
    public void ChatPipeline_WithAndWithoutLoggerFactory_HasOpenTelemetryAlwaysAndLoggingOnlyWithAFactory()
    {
        using var loggerFactory = LoggerFactory.Create(_ => { });
        IAgentStepSource source = new NeverCalled();
        using var logged = RuntimeChatPipeline.Build(source.AsChatClient(TranscriptFormat.Default, DecodingConstraints.None), loggerFactory);
        using var bare = RuntimeChatPipeline.Build(source.AsChatClient(TranscriptFormat.Default, DecodingConstraints.None), null);

        Assert.NotNull(logged.GetService<OpenTelemetryChatClient>());
        Assert.NotNull(logged.GetService<LoggingChatClient>());
        Assert.NotNull(bare.GetService<OpenTelemetryChatClient>());
        Assert.Null(bare.GetService<LoggingChatClient>());
        Assert.Equal("never-called", logged.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public void ToChatOptions_RunSampling_ReadsBackAsTheSameSamplingOptions()
    {
        foreach (var sampling in new[] { SamplingOptions.Greedy, new SamplingOptions { Temperature = 0.8f, Seed = 7 }, new SamplingOptions { Temperature = 1.5f, Seed = uint.MaxValue } })
        {
            var options = TagDecoderChatCompletionService.ToChatOptions(sampling, 48);

            Assert.Equal(sampling, TagDecoderChatClients.ToSamplingOptions(options));
            Assert.Equal(48, options.MaxOutputTokens);
        }
    }

    private static async Task<List<StepRecord>> RunWithSourceAsync(Func<Agent.Decoding.TagDecoder, IAgentStepSource> source)
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), RuntimeHarness.Lenient, [], settings: ThreeSampledSteps, stepSource: source);
        var run = await h.RunNewAsync("List the files in /workspace");
        return [.. (await h.Store.GetStepsAsync(run.Id)).OrderBy(s => s.Step)];
    }

    /// <summary>A source that only has NextAsync, so the runner reaches it through the default StepSourceChatClient.</summary>
    private sealed class NextAsyncOnly(IAgentStepSource inner) : IAgentStepSource
    {
        public string ModelName => inner.ModelName;

        public string? ChatTemplate => inner.ChatTemplate;

        public Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default) => inner.NextAsync(request, cancellationToken);
    }

    private sealed class NeverCalled : IAgentStepSource
    {
        public string ModelName => "never-called";

        public Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default) => throw new InvalidOperationException("not called");
    }

    /// <summary>Records every stopped span of the runtime's source.</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _stopped = new();
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == RuntimeTelemetry.Name,
                Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyList<Activity> Stopped => [.. _stopped];

        public void Dispose() => _listener.Dispose();
    }
}
