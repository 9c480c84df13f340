using Agent.Decoding.Chat;
using Agent.Decoding.Transcripts;
using Microsoft.Extensions.AI;

namespace Agent.Decoding.Tests.Chat;

public sealed class ChatTranscriptTests
{
    private static readonly Conversation Transcript = Conversation.StartTask("Tidy /srv/app")
        .Append(new ToolCallTurn(ToolCall.Parse("files.read", """{"path":"a.txt","limit":5,"recursive":true,"filter":{"ext":".log"}}""")))
        .Append(new ToolResultTurn("files.read", 2, "partial\n", "no such file", truncated: true))
        .Append(new ToolResultTurn("error", 2, string.Empty, "invalid step: expected 'call' or 'answer'"))
        .Append(new ToolCallTurn(ToolCall.Shell("rm -rf /srv/app/tmp")))
        .Append(new ToolResultTurn("shell.run", 0, string.Empty))
        .Append(new AnswerTurn("done"))
        .Append(new ToolResultTurn("answer", 126, string.Empty, "blocked: powerseeking"));

    [Fact]
    public void ToMessages_ThenToConversation_RendersTheSamePrompt()
    {
        var messages = ChatTranscript.ToMessages(Transcript);

        var back = ChatTranscript.ToConversation(messages);

        Assert.Equal(TranscriptFormat.Default.RenderPromptForNextAgentStep(Transcript), TranscriptFormat.Default.RenderPromptForNextAgentStep(back));
        Assert.Equal(Transcript.Turns.Length, back.Turns.Length);
    }

    [Fact]
    public void ToMessages_AgentTranscript_IsTaskCallsResultsAndAnswerAsChatMessages()
    {
        var messages = ChatTranscript.ToMessages(Transcript);

        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Tool, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant, ChatRole.Tool], messages.Select(m => m.Role));
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(messages[1].Contents));
        Assert.Equal("files.read", call.Name);
        Assert.Equal("a.txt", call.Arguments!["path"]);
        var result = Assert.IsType<FunctionResultContent>(Assert.Single(messages[2].Contents));
        Assert.Equal(call.CallId, result.CallId);
        var turn = Assert.IsType<ToolResultTurn>(result.Result);
        Assert.Equal((2, "no such file", true), (turn.ExitCode, turn.Stderr, turn.Truncated));
        Assert.Equal("done", messages[6].Text);
    }

    [Fact]
    public void ToMessages_ProseTurn_ThrowsNamingIt()
    {
        var prose = new Conversation([new ProseTurn("Once upon a time")]);

        var error = Assert.Throws<ArgumentException>(() => ChatTranscript.ToMessages(prose));

        Assert.Contains("ProseTurn", error.Message, StringComparison.Ordinal);
    }
}
