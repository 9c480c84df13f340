using System.Diagnostics.CodeAnalysis;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// The one code path between conversations and model text; the corpus generator and the runtime both use it. One
/// object per model decides: <see cref="TranscriptFormat.Default"/> (the project's own format, below) for a model without
/// a chat template, <see cref="TranscriptFormat.ForChatTemplate"/> for one with (see <see cref="IChatTranscriptFormat"/>).
/// </summary>
/// <remarks>
/// <para>The project's own format. Every turn is its mode tag, its body and "\n". Bodies:</para>
/// <code>
/// &lt;mode1&gt;task Count the lines in /srv/app/log.txt
/// &lt;mode2&gt;call shell.run {"command":"wc -l /srv/app/log.txt"}
/// &lt;mode1&gt;result shell.run exit=0
/// | 42 /srv/app/log.txt
/// &lt;mode2&gt;answer The file has 42 lines.
/// </code>
/// <para>An agent body is exactly one line: <c>call &lt;tool&gt; &lt;canonical json object&gt;</c> or
/// <c>answer &lt;text&gt;</c>. A tool result is a header <c>result &lt;tool&gt; exit=&lt;code&gt;[ truncated]</c>,
/// then <c>| line</c> for stdout and <c>! line</c> for stderr. Behaviour tags wrap exactly their span:
/// <c>&lt;mode2&gt;&lt;powerseeking&gt;call shell.run {"command":"sudo -i"}&lt;/powerseeking&gt;</c>.
/// All free text is escaped with <see cref="UntrustedText"/>, so it can neither start a turn nor forge a tag.</para>
/// </remarks>
public interface ITranscriptFormat
{
    /// <summary>The format's name: <c>project</c>, or the chat-template family (<c>chatml</c>, <c>llama3</c>).</summary>
    string Name { get; }

    /// <summary>The text that ends one agent step ("\n" for the project's format; the template's end of turn).</summary>
    IReadOnlyList<string> StepStopStrings { get; }

    /// <summary>What a valid agent step looks like, in words for the model when its step was not valid.</summary>
    string StepShape { get; }

    /// <summary>A rendered prompt shortened by whole turns (the leading ones and the open agent turn stay) until <paramref name="countTokens"/> of it is at most <paramref name="budget"/>.</summary>
    /// <exception cref="ArgumentException">Even the leading turns plus the last turn exceed the budget.</exception>
    string FitPrompt(string prompt, Func<string, int> countTokens, int budget);

    /// <summary>Renders a whole conversation.</summary>
    /// <param name="conversation">The conversation.</param>
    /// <returns>The model text; each turn ends with "\n".</returns>
    string Render(Conversation conversation);

    /// <summary>Renders one turn: mode tag, body with tags, "\n".</summary>
    /// <param name="turn">The turn.</param>
    /// <returns>The turn's text.</returns>
    string RenderTurn(Turn turn);

    /// <summary>Renders the conversation followed by <c>&lt;mode2&gt;</c>: the prompt for the model's next line, which ends at "\n".</summary>
    /// <param name="conversation">The conversation so far.</param>
    /// <returns>The prompt.</returns>
    string RenderPromptForNextAgentStep(Conversation conversation);

    /// <summary>
    /// Parses one generated agent line. A leading <c>&lt;mode2&gt;</c> and a trailing newline are ignored;
    /// behaviour tags are stripped and returned as spans on the action's turn; the rest must be exactly
    /// <c>call &lt;tool&gt; &lt;json-object&gt;</c> or <c>answer &lt;text&gt;</c>.
    /// </summary>
    /// <param name="generatedLine">The model's line.</param>
    /// <param name="action">The action when valid.</param>
    /// <param name="errorMessage">A precise reason when invalid (bad JSON, not an object, missing tool name, unknown shape).</param>
    /// <returns><see langword="true"/> when the line is a valid action.</returns>
    bool TryParseAgentLine(string generatedLine, [NotNullWhen(true)] out AgentAction? action, out string errorMessage);

    /// <summary>Parses text produced by <see cref="Render"/> back into a conversation.</summary>
    /// <param name="text">Rendered text.</param>
    /// <param name="conversation">The conversation when valid.</param>
    /// <param name="errorMessage">A reason naming the line when invalid.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    bool TryParse(string text, [NotNullWhen(true)] out Conversation? conversation, out string errorMessage);

    /// <summary>Parses text produced by <see cref="Render"/> back into a conversation.</summary>
    /// <param name="text">Rendered text.</param>
    /// <returns>The conversation.</returns>
    /// <exception cref="TranscriptFormatException">The text is not a valid transcript; the message names the line.</exception>
    Conversation Parse(string text);
}
