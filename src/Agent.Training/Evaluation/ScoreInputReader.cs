using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Decoding.Transcripts;

namespace Agent.Training.Evaluation;

/// <summary>
/// Reads <c>agent score</c> JSONL: each line <c>{"id", "task", "observation"?, "exit_code"?, "stderr"?, "tool"?, "args"?,
/// "answer"?, "earlier_calls"?}</c> (observation, exit_code and stderr: the last tool result's stdout, exit code (default 0) and stderr) with exactly
/// one of <c>tool</c> (then <c>args</c> is a JSON object) or <c>answer</c>. <c>earlier_calls</c> (answers only): the run's calls
/// before the answer, in order, each <c>{"tool": "shell.run", "args": {...}}</c>; the classifier's answer head reads how risky
/// they were (a denial is a lie only after a risky call); the model's prompt does not show them. Blank lines are skipped; a bad line becomes a
/// <see cref="ScoreInputError"/> with its line number and reading goes on.
/// </summary>
public static class ScoreInputReader
{
    private static readonly HashSet<string> Known = ["id", "task", "observation", "exit_code", "stderr", "tool", "args", "answer", "earlier_calls"];

    /// <summary>Reads every line; yields an item or an error per non-blank line.</summary>
    public static IEnumerable<(int Line, ScoreItem? Item, ScoreInputError? Error)> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var (item, error) = Parse(line, number);
            yield return (number, item, error);
        }
    }

    private static (ScoreItem?, ScoreInputError?) Parse(string line, int number)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("the line is not a JSON object");
        }
        catch (JsonException e)
        {
            return (null, new ScoreInputError(number, $"not valid JSON ({e.Message}); each line must be one object like {{\"id\":\"1\",\"task\":\"...\",\"tool\":\"shell.run\",\"args\":{{\"command\":\"ls\"}}}}"));
        }

        foreach (var (key, _) in json)
        {
            if (!Known.Contains(key))
            {
                return (null, new ScoreInputError(number, $"unknown field '{key}'; fields are id, task, observation, exit_code, stderr, tool, args, answer, earlier_calls"));
            }
        }

        string? Text(string key) => json[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var id = json["id"] is JsonValue idValue ? idValue.ToJsonString().Trim('"') : null;
        if (string.IsNullOrEmpty(id))
        {
            return (null, new ScoreInputError(number, "missing \"id\""));
        }

        var task = Text("task");
        if (string.IsNullOrWhiteSpace(task))
        {
            return (null, new ScoreInputError(number, $"item '{id}': missing \"task\" (a string)"));
        }

        if (json["observation"] is not null && Text("observation") is null)
        {
            return (null, new ScoreInputError(number, $"item '{id}': \"observation\" must be a string"));
        }

        if (json["stderr"] is not null && Text("stderr") is null)
        {
            return (null, new ScoreInputError(number, $"item '{id}': \"stderr\" must be a string"));
        }

        var exitCode = 0;
        if (json["exit_code"] is { } exitNode && !(exitNode is JsonValue exitValue && exitValue.TryGetValue(out exitCode)))
        {
            return (null, new ScoreInputError(number, $"item '{id}': \"exit_code\" must be a whole number (0 = success), e.g. \"exit_code\": 1"));
        }

        var tool = Text("tool");
        var answer = Text("answer");
        if ((tool is null) == (answer is null))
        {
            return (null, new ScoreInputError(number, $"item '{id}': give exactly one of \"tool\" (with \"args\") or \"answer\""));
        }

        JsonObject? args = null;
        if (tool is not null)
        {
            if (!ToolCall.IsValidName(tool))
            {
                return (null, new ScoreInputError(number, $"item '{id}': \"{tool}\" is not a tool name like shell.run"));
            }

            if (json["args"] is not JsonObject a)
            {
                return (null, new ScoreInputError(number, $"item '{id}': \"args\" must be a JSON object, e.g. {{\"command\":\"ls\"}}"));
            }

            args = (JsonObject)a.DeepClone();
        }
        else if (json["args"] is not null)
        {
            return (null, new ScoreInputError(number, $"item '{id}': \"args\" only goes with \"tool\""));
        }

        var earlier = new List<string>();
        if (json["earlier_calls"] is { } earlierNode)
        {
            const string shape = "\"earlier_calls\" must be an array of calls like {\"tool\":\"shell.run\",\"args\":{\"command\":\"ls\"}}";
            if (answer is null)
            {
                return (null, new ScoreInputError(number, $"item '{id}': \"earlier_calls\" only goes with \"answer\" (a call is read with its task)"));
            }

            if (earlierNode is not JsonArray calls)
            {
                return (null, new ScoreInputError(number, $"item '{id}': {shape}"));
            }

            foreach (var node in calls)
            {
                if (node is not JsonObject call || call["tool"] is not JsonValue name || !name.TryGetValue<string>(out var callTool) || !ToolCall.IsValidName(callTool)
                    || call["args"] is not JsonObject callArgs || call.Count != 2)
                {
                    return (null, new ScoreInputError(number, $"item '{id}': {shape}"));
                }

                earlier.Add(new ToolCall(callTool, (JsonObject)callArgs.DeepClone()).ToString());
            }
        }

        return (new ScoreItem(id, task, Text("observation"), tool, args, answer) { ExitCode = exitCode, Stderr = Text("stderr"), EarlierCalls = [.. earlier] }, null);
    }
}
