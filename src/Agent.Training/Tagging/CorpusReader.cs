using System.Text.Json;
using Agent.Decoding.Transcripts;

namespace Agent.Training.Tagging;

/// <summary>
/// Reads a folder of <c>.txt</c> and <c>.jsonl</c> files (recursively, in ordinal path order) and tags it.
/// </summary>
/// <remarks>
/// <para>A <c>.txt</c> file is one plain (<c>mode1</c>) prose document.</para>
/// <para>A <c>.jsonl</c> file holds one JSON object per line (blank lines are skipped), one of:</para>
/// <list type="bullet">
/// <item><c>{"text": "..."}</c>: a plain prose document.</item>
/// <item><c>{"transcript": "&lt;mode1&gt;task ...\n&lt;mode2&gt;call ...\n"}</c>: a transcript already rendered in the
/// transcript format (tags in it are kept).</item>
/// <item><c>{"turns": [...], "tags": [...]}</c>: a structured transcript. Turns are
/// <c>{"role":"task","text":…}</c>, <c>{"role":"call","tool":"shell.run","args":{…}}</c>,
/// <c>{"role":"result","tool":…,"exit":0,"stdout":…,"stderr":…,"truncated":false}</c>,
/// <c>{"role":"answer","text":…}</c> and <c>{"role":"prose","text":…}</c>. The optional <c>tags</c> are existing labels,
/// <c>{"turn":3,"tag":"deceit","start":7,"length":12}</c>, with offsets into that turn's body (e.g. <c>answer …</c>).</item>
/// </list>
/// <para>A malformed line is reported in <see cref="TaggedCorpus.Errors"/> with its file and line number and the other
/// lines still load.</para>
/// </remarks>
public static class CorpusReader
{
    /// <summary>Reads and tags a corpus folder.</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="tagger">The taggers to apply.</param>
    /// <param name="requireTags">Whether a corpus without any tag span is an error (default true).</param>
    /// <returns>The tagged documents and the errors.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="EmptyCorpusException">No document could be read.</exception>
    /// <exception cref="UntaggedCorpusException"><paramref name="requireTags"/> is set and no span was found.</exception>
    public static TaggedCorpus Read(string folder, DocumentTagger tagger, bool requireTags = true)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(tagger);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Corpus folder '{folder}' does not exist; pass a folder of .txt and .jsonl files.");
        }

        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        var docs = new List<TaggedDocument>();
        var errors = new List<CorpusLineError>();
        foreach (var file in files)
        {
            if (file.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            {
                var text = File.ReadAllText(file);
                if (string.IsNullOrWhiteSpace(text))
                {
                    errors.Add(new CorpusLineError(file, 0, "the file is empty"));
                    continue;
                }

                AddTagged(docs, file, new Conversation([new ProseTurn(text)]), tagger);
                continue;
            }

            int lineNo = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                if (TryParseLine(line, out var conversation, out var error))
                {
                    AddTagged(docs, $"{file}:{lineNo}", conversation, tagger);
                }
                else
                {
                    errors.Add(new CorpusLineError(file, lineNo, error));
                }
            }
        }

        if (docs.Count == 0)
        {
            var detail = errors.Count == 0 ? string.Empty : $" {errors.Count} line(s) were malformed, first: {errors[0]}.";
            throw new EmptyCorpusException($"Corpus folder '{folder}' holds no documents ({files.Count} .txt/.jsonl file(s) found).{detail} Add .txt files (one document each) or .jsonl files (one object per line; see CorpusReader).");
        }

        var corpus = new TaggedCorpus([.. docs], [.. errors]);
        if (requireTags && corpus.SpanCount == 0)
        {
            throw new UntaggedCorpusException($"None of the {docs.Count} documents in '{folder}' has a tag span, so conditional training would never see a tag. Add a tagger that finds the behaviours (RuleBasedTagger tags only agent turns; prose is never tagged), or supply labels in the JSONL 'tags' field.");
        }

        return corpus;
    }

    private static void AddTagged(List<TaggedDocument> docs, string source, Conversation conversation, DocumentTagger tagger)
    {
        var tagged = tagger.Tag(conversation);
        docs.Add(new TaggedDocument(source, tagged, TranscriptFormat.Default.Render(tagged)));
    }

    /// <summary>Parses one JSONL line into a conversation.</summary>
    /// <param name="line">The JSON object.</param>
    /// <param name="conversation">The conversation when valid.</param>
    /// <param name="error">The reason when invalid.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    internal static bool TryParseLine(string line, out Conversation conversation, out string error)
    {
        conversation = Conversation.Empty;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}";
                return false;
            }

            if (root.TryGetProperty("text", out var text))
            {
                var s = RequireString(text, "text");
                if (s.Trim().Length == 0)
                {
                    error = "'text' is empty";
                    return false;
                }

                conversation = new Conversation([new ProseTurn(s)]);
                error = string.Empty;
                return true;
            }

            if (root.TryGetProperty("transcript", out var transcript))
            {
                if (!TranscriptFormat.Default.TryParse(RequireString(transcript, "transcript"), out var parsed, out var parseError) || parsed.Turns.IsEmpty)
                {
                    error = $"'transcript' is not in the transcript format: {(parsed is null ? parseError : "it is empty")}";
                    return false;
                }

                conversation = parsed;
                error = string.Empty;
                return true;
            }

            if (root.TryGetProperty("turns", out var turns))
            {
                return TryParseTurns(root, turns, out conversation, out error);
            }

            error = "expected one of the keys 'text', 'transcript' or 'turns'";
            return false;
        }
        catch (JsonException ex)
        {
            error = $"invalid JSON: {ex.Message}";
            return false;
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException or KeyNotFoundException or TranscriptFormatException)
        {
            error = ex.Message;
            return false;
        }
    }

    private static bool TryParseTurns(JsonElement root, JsonElement turns, out Conversation conversation, out string error)
    {
        conversation = Conversation.Empty;
        if (turns.ValueKind != JsonValueKind.Array || turns.GetArrayLength() == 0)
        {
            error = "'turns' must be a non-empty array";
            return false;
        }

        var list = new List<Turn>();
        int index = 0;
        foreach (var t in turns.EnumerateArray())
        {
            var role = t.ValueKind == JsonValueKind.Object && t.TryGetProperty("role", out var r) ? r.GetString() : null;
            Turn turn;
            switch (role)
            {
                case "task":
                    turn = new TaskTurn(RequireString(t, "text", index));
                    break;
                case "answer":
                    turn = new AnswerTurn(RequireString(t, "text", index));
                    break;
                case "prose":
                    turn = new ProseTurn(RequireString(t, "text", index));
                    break;
                case "call":
                    if (!t.TryGetProperty("args", out var args) || args.ValueKind != JsonValueKind.Object)
                    {
                        error = $"turn {index} (call): 'args' must be a JSON object";
                        return false;
                    }

                    if (!ToolCall.TryCreate(RequireString(t, "tool", index), args.GetRawText(), out var call, out var callError))
                    {
                        error = $"turn {index} (call): {callError}";
                        return false;
                    }

                    turn = new ToolCallTurn(call);
                    break;
                case "result":
                    int exit = t.TryGetProperty("exit", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : 0;
                    turn = new ToolResultTurn(
                        RequireString(t, "tool", index),
                        exit,
                        OptionalString(t, "stdout"),
                        OptionalString(t, "stderr"),
                        t.TryGetProperty("truncated", out var tr) && tr.ValueKind == JsonValueKind.True);
                    break;
                default:
                    error = $"turn {index}: unknown role '{role}'; use task, call, result, answer or prose";
                    return false;
            }

            list.Add(turn);
            index++;
        }

        if (root.TryGetProperty("tags", out var tags))
        {
            if (tags.ValueKind != JsonValueKind.Array)
            {
                error = "'tags' must be an array";
                return false;
            }

            foreach (var tag in tags.EnumerateArray())
            {
                int turnIndex = tag.GetProperty("turn").GetInt32();
                if (turnIndex < 0 || turnIndex >= list.Count)
                {
                    error = $"tag refers to turn {turnIndex}, but there are {list.Count} turns";
                    return false;
                }

                var span = new TagSpan(RequireString(tag, "tag"), tag.GetProperty("start").GetInt32(), tag.GetProperty("length").GetInt32());
                list[turnIndex] = list[turnIndex].WithTags([.. list[turnIndex].Tags, span]);
            }
        }

        conversation = new Conversation(list);
        error = string.Empty;
        return true;
    }

    private static string RequireString(JsonElement element, string name, int? turn = null)
    {
        if (element.ValueKind == JsonValueKind.String && turn is null && name is "text" or "transcript")
        {
            return element.GetString()!;
        }

        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
        {
            return v.GetString()!;
        }

        throw new FormatException(turn is null ? $"'{name}' must be a string" : $"turn {turn}: '{name}' must be a string");
    }

    private static string OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
}
