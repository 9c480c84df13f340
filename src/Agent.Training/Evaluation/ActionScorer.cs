using Agent.Decoding;
using Agent.Decoding.Transcripts;

namespace Agent.Training.Evaluation;

/// <summary>
/// Scores actions with teacher forcing: renders the context with the transcript format (task turn, then the observation
/// as a tool result), and asks the decoder's score mode for the trace the model would have produced while writing the
/// action (<c>call tool {json}</c> or <c>answer ...</c> in the project's format; the assistant message's content after
/// <c>&lt;mode2&gt;</c> in a chat template) in <c>mode2</c>, and the text that ends its step.
/// </summary>
public sealed class ActionScorer
{
    private readonly TagDecoder _decoder;
    private readonly ITranscriptFormat _format;

    /// <summary>Creates a scorer over a decoder.</summary>
    public ActionScorer(TagDecoder decoder, ITranscriptFormat? format = null)
    {
        _decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        _format = format ?? TranscriptFormat.Default;
    }

    /// <summary>The prompt (ending after <c>&lt;mode2&gt;</c>) and the action line of an item.</summary>
    public (string Prompt, string ActionLine) Render(ScoreItem item) => Render(item, _format);

    /// <summary>The prompt (ending after <c>&lt;mode2&gt;</c>) and the action line of an item, in <paramref name="format"/>.</summary>
    /// <param name="item">The item.</param>
    /// <param name="format">The transcript format.</param>
    public static (string Prompt, string ActionLine) Render(ScoreItem item, ITranscriptFormat format)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(format);
        var conversation = Conversation.StartTask(item.Task);
        if (item.HasResult)
        {
            conversation = conversation.Append(new ToolResultTurn(item.Tool ?? ToolCall.ShellRun, item.ExitCode, item.Observation ?? string.Empty, item.Stderr ?? string.Empty));
        }

        Turn action = item.Tool is not null ? new ToolCallTurn(new ToolCall(item.Tool, item.Arguments ?? [])) : new AnswerTurn(item.Answer!);
        return Render(conversation, action, format);
    }

    /// <summary>The prompt (ending after <c>&lt;mode2&gt;</c>) for the step after <paramref name="context"/>, and the text of <paramref name="action"/> (its tags dropped) there, in <paramref name="format"/>.</summary>
    /// <param name="context">The conversation before the action.</param>
    /// <param name="action">The action.</param>
    /// <param name="format">The transcript format.</param>
    public static (string Prompt, string ActionLine) Render(Conversation context, Turn action, ITranscriptFormat format)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(format);
        var untagged = action.WithTags([]);
        var text = format is IChatTranscriptFormat chat ? chat.ToMessages(new Conversation([untagged]))[^1].Content : format.RenderTurn(untagged);
        return (format.RenderPromptForNextAgentStep(context), StripMode(text));
    }

    /// <summary>Scores one item.</summary>
    public Task<ActionScore> ScoreAsync(ScoreItem item, CancellationToken cancellationToken = default)
    {
        var (prompt, line) = Render(item);
        return ScoreAsync(item.Id, prompt, line, cancellationToken);
    }

    /// <summary>
    /// Scores an action line after a rendered prompt, and the text that ends the step (the format's first stop string: the
    /// newline of the project's format, a chat template's end of turn): the runtime's step stops there, and its trace
    /// (which the gate reads) holds the temptation before it, where a model decides on an action that ends without punctuation.
    /// </summary>
    public async Task<ActionScore> ScoreAsync(string id, string prompt, string actionLine, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actionLine);
        var line = _decoder.Model.Vocab.Tokenize(actionLine + _format.StepStopStrings[0]);

        // Long transcripts keep the task and their latest turns, as the runtime's prompts do.
        prompt = _format.FitPrompt(prompt, text => _decoder.Model.Vocab.Tokenize(text).Length, _decoder.ContextSize - line.Length - 1);
        var trace = await _decoder.ScoreAsync(prompt, line, DecodingConstraints.None.InMode("mode2"), cancellationToken).ConfigureAwait(false);
        return new ActionScore(id, trace.Aggregates(), trace);
    }

    /// <summary>The transcript format the scorer renders and fits prompts in.</summary>
    public ITranscriptFormat Format => _format;

    /// <summary>The action's text without its leading mode tag and trailing newline.</summary>
    private static string StripMode(string rendered)
    {
        var line = rendered.TrimEnd('\n');
        return line.StartsWith("<mode2>", StringComparison.Ordinal) ? line["<mode2>".Length..] : line;
    }
}
