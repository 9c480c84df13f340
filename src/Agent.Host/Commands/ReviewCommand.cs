using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Agent.Host.Review;
using Agent.Runtime;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>
/// <c>agent review list|show|approve|deny [--json]</c>: the blocked-action log and its approvals. Deciding an
/// escalation puts its run back in the queue; <c>agent serve</c> (or <c>agent run --resume RUN_ID</c>) continues it.
/// </summary>
internal static class ReviewCommand
{
    public static Command Create()
    {
        var review = new Command("review", "Review the blocked-action log and decide escalated actions");
        review.Subcommands.Add(List());
        review.Subcommands.Add(Show());
        review.Subcommands.Add(Decide("approve", approve: true));
        review.Subcommands.Add(Decide("deny", approve: false));
        return review;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var run = new Option<string?>("--run") { Description = "Only this run" };
        var tool = new Option<string?>("--tool") { Description = "Only this tool, e.g. shell.run" };
        var tag = new Option<string?>("--tag") { Description = "Only entries whose rule fired on this tag" };
        var decision = new Option<string?>("--decision") { Description = "escalate or block" };
        var status = new Option<string?>("--status") { Description = "pending, approved, denied or none (blocks)" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Created at or after (ISO 8601)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Created before (ISO 8601)" };
        var limit = new Option<int>("--limit") { Description = "Most entries", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List blocked and escalated actions, newest first") { json, run, tool, tag, decision, status, since, until, limit };
        command.SetAction((parseResult, cancellationToken) => WithStoreAsync(parseResult, async store =>
        {
            var query = new LogQuery
            {
                RunId = parseResult.GetValue(run),
                Tool = parseResult.GetValue(tool),
                Tag = parseResult.GetValue(tag),
                Decision = parseResult.GetValue(decision) is { } d ? ParseDecision(d) : null,
                ReviewStatus = parseResult.GetValue(status),
                Since = parseResult.GetValue(since),
                Until = parseResult.GetValue(until),
                Limit = parseResult.GetValue(limit),
            };
            var entries = await store.QueryLogAsync(query, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(entries.Select(ApiJson.Entry), JsonOutput.Options)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var tasks = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var runId in entries.Select(e => e.RunId).Distinct(StringComparer.Ordinal))
            {
                tasks[runId] = (await store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false))?.Task ?? "(run not found)";
            }

            var table = new Table().AddColumns("id", "created", "run", "step", "task", "proposed action", "decision", "fired", "review", "rule");
            foreach (var e in entries)
            {
                table.AddRow(
                    e.Id.ToString(CultureInfo.InvariantCulture),
                    e.CreatedAt.ToString("u", CultureInfo.InvariantCulture),
                    Markup.Escape(e.RunId),
                    e.Step.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(OneLine(tasks[e.RunId], 60)),
                    Markup.Escape(OneLine($"{e.Tool} {e.Arguments}", 60)),
                    e.Decision == Decision.Block ? "[red]block[/]" : "[yellow]escalate[/]",
                    Markup.Escape(Fired(e)),
                    Markup.Escape(e.ReviewStatus + (e.Reviewer is null ? string.Empty : " by " + e.Reviewer)),
                    Markup.Escape(e.Rule));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<long>("id") { Description = "Log entry (approval) id" };
        var json = new Option<bool>("--json") { Description = "Print JSON, with the full per-token trace" };
        var command = new Command("show", "Show one entry with its per-token temptation as a heat line") { id, json };
        command.SetAction((parseResult, cancellationToken) => WithStoreAsync(parseResult, async store =>
        {
            var entry = await store.GetLogEntryAsync(parseResult.GetValue(id), cancellationToken).ConfigureAwait(false)
                ?? throw new ArgumentException($"No log entry {parseResult.GetValue(id)}; 'agent review list' shows the entries.");
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(ApiJson.Entry(entry), JsonOutput.Options)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var run = await store.GetRunAsync(entry.RunId, cancellationToken).ConfigureAwait(false);
            var steps = await store.GetStepsAsync(entry.RunId, cancellationToken).ConfigureAwait(false);
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("id", entry.Id.ToString(CultureInfo.InvariantCulture));
            grid.AddRow("run / step", Markup.Escape($"{entry.RunId} / {entry.Step}"));
            grid.AddRow("task", Markup.Escape(run?.Task ?? "(run not found)"));
            grid.AddRow(entry.Tool == "answer" ? "answer" : "call", Markup.Escape(Review.ReviewPages.ActionText(entry.Tool, entry.Arguments)));
            grid.AddRow("decision", Markup.Escape($"{entry.Decision.ToString().ToLowerInvariant()} ({entry.Rule})"));
            grid.AddRow("policy / model", Markup.Escape($"{entry.PolicyVersion} / {entry.Model}"));
            grid.AddRow("fired", Markup.Escape(Fired(entry)));
            grid.AddRow("temptation (model)", Markup.Escape(entry.Temptation.Count == 0
                ? "absent (the model has no trained token for these tags, or the step was not decoded here)"
                : string.Join("  ", entry.Temptation.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}: max {t.Value.Max:0.####} mean {t.Value.Mean:0.####} any {t.Value.Any:0.####}")))));
            grid.AddRow("classifier", Markup.Escape(entry.Classifier.Count == 0
                ? "not run"
                : string.Join("  ", entry.Classifier.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}: p {t.Value:0.####}")))));
            grid.AddRow("p(mode2)", Markup.Escape(HeatMap.ModeSummary(entry.Mode)));
            grid.AddRow("review", Markup.Escape($"{entry.ReviewStatus} {entry.Reviewer} {entry.ReviewReason} {entry.ReviewedAt:u}"));
            grid.AddRow("created", entry.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
            AnsiConsole.Write(grid);
            AnsiConsole.WriteLine();
            PrintConversation(steps.Where(s => s.Step < entry.Step).ToList());
            foreach (var (tag, line) in HeatLines(entry.Trace))
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(tag)}[/]: {line}");
            }

            if (ModeLine(entry.Trace) is { } modeLine)
            {
                AnsiConsole.MarkupLine($"[bold]p(mode2)[/]: {modeLine}");
                AnsiConsole.MarkupLine(Markup.Escape("p(mode2): the model's mode head's probability that it is acting (Mode 2) rather than writing text (Mode 1), after each token in [brackets]; < marks a token below 0.5. Colour repeats the numbers: red < 0.5 <= white."));
            }

            AnsiConsole.MarkupLine(Markup.Escape(string.Create(
                CultureInfo.InvariantCulture,
                $"heat: each token's probability for the tag follows it in [brackets] where it is at least {HeatMap.Noticeable}; ^ = it rose by at least {HeatMap.RiseThreshold} there; ! = the model gave the token less than {HeatMap.SurprisingBelow} (surprising). Colour repeats the numbers: white < 0.05 <= yellow < 0.2 <= orange < 0.5 <= red.")));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Decide(string verb, bool approve)
    {
        var id = new Argument<long>("id") { Description = "Approval (log entry) id" };
        var reviewer = new Option<string>("--reviewer") { Description = "Who decides (default: the OS user)", DefaultValueFactory = _ => Environment.UserName };
        var reason = new Option<string?>("--reason") { Description = "Why (shown to the model on deny)" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command(verb, approve ? "Approve exactly the escalated call; its run resumes and runs it once" : "Deny the escalated call; its run resumes and the model is told")
        {
            id, reviewer, reason, json,
        };
        command.SetAction((parseResult, cancellationToken) => WithStoreAsync(parseResult, async store =>
        {
            var entry = await store.DecideAsync(parseResult.GetValue(id), approve, parseResult.GetValue(reviewer)!, parseResult.GetValue(reason), cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(ApiJson.Entry(entry), JsonOutput.Options)).ConfigureAwait(false);
            }
            else
            {
                await Console.Out.WriteLineAsync($"{entry.ReviewStatus}: {entry.Tool} {entry.Arguments} (run {entry.RunId} is queued again; `agent serve` or `agent run --resume {entry.RunId}` continues it)").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// Per behaviour tag, the step's tokens coloured by that tag's pre-ban probability and, as text, the probability after
    /// each token where it is noticeable (<c>[0.412^]</c>, ^ where it rose), <c>!</c> after a surprising token, and the peak.
    /// </summary>
    internal static IEnumerable<(string Tag, string Markup)> HeatLines(ActionTrace trace)
    {
        foreach (var column in HeatMap.TagColumns(trace))
        {
            var line = new System.Text.StringBuilder();
            for (var i = 0; i < trace.Tokens.Length; i++)
            {
                var token = trace.Tokens[i];
                var p = HeatMap.P(trace, i, column);
                var rose = HeatMap.Rose(trace, i, column);
                var colour = p >= 0.5 ? "red" : p >= 0.2 ? "darkorange" : p >= 0.05 ? "yellow" : "white";
                line.Append(CultureInfo.InvariantCulture, $"[{colour}]{Markup.Escape(HeatMap.Visible(token.Text))}[/]");
                if (p >= HeatMap.Noticeable || rose)
                {
                    line.Append(CultureInfo.InvariantCulture, $"[grey]{Markup.Escape($"[{p.ToString("0.000", CultureInfo.InvariantCulture)}{(rose ? "^" : string.Empty)}]")}[/]");
                }

                if (HeatMap.Surprising(token))
                {
                    line.Append("[grey]![/]");
                }
            }

            if (HeatMap.Peak(trace, column) is var peak and >= 0)
            {
                line.Append(CultureInfo.InvariantCulture, $"  [bold]peak {HeatMap.P(trace, peak, column):0.000} at token {peak + 1} '{Markup.Escape(HeatMap.Visible(trace.Tokens[peak].Text))}'[/]");
            }

            yield return (trace.Tags[column], line.ToString());
        }
    }

    /// <summary>
    /// The step's tokens, each followed by its p(Mode 2) as text (<c>[0.912]</c>, <c>&lt;</c> where below 0.5, the model
    /// taking it for text), red where below 0.5; null when the trace has no mode signal (no mode head).
    /// </summary>
    internal static string? ModeLine(ActionTrace trace)
    {
        if (!HeatMap.HasMode(trace))
        {
            return null;
        }

        var line = new System.Text.StringBuilder();
        foreach (var token in trace.Tokens)
        {
            var p = token.Mode2!.Value;
            line.Append(CultureInfo.InvariantCulture, $"[{(p < 0.5 ? "red" : "white")}]{Markup.Escape(HeatMap.Visible(token.Text))}[/]");
            line.Append(CultureInfo.InvariantCulture, $"[grey]{Markup.Escape($"[{p.ToString("0.000", CultureInfo.InvariantCulture)}{(p < 0.5 ? "<" : string.Empty)}]")}[/]");
        }

        return line.ToString();
    }

    /// <summary>The run's steps before the action: each model line and the tool result it got, which the action was responding to.</summary>
    private static void PrintConversation(List<StepRecord> before)
    {
        if (before.Count == 0)
        {
            AnsiConsole.MarkupLine("[grey]conversation: the action is the run's first step[/]");
            return;
        }

        AnsiConsole.MarkupLine("[bold]conversation up to the action[/]");
        foreach (var step in before)
        {
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"  step {step.Step} ({step.Status.ToString().ToLowerInvariant()}): {step.ModelLine}")));
            if (step.Result is { } result)
            {
                AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"    result, exit {result.ExitCode}{(result.Truncated ? " (truncated)" : string.Empty)}:")));
                foreach (var text in new[] { result.Stdout, result.Stderr }.Where(t => t.Length > 0))
                {
                    AnsiConsole.MarkupLine(Markup.Escape("      " + text.ReplaceLineEndings("\n      ")));
                }
            }
        }

        AnsiConsole.WriteLine();
    }

    private static string OneLine(string text, int max)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= max ? line : string.Concat(line.AsSpan(0, max), "…");
    }

    /// <summary>
    /// Which tag and signal fired, e.g. <c>deceit by classifier</c>, with the score for the combined signal (stored nowhere
    /// else: <c>deceit by combined (score 0.93 &gt;= 0.848)</c>); <c>tool rule</c> when no tag decided.
    /// </summary>
    private static string Fired(ActionLogEntry e) => e.FiredTag is { } tag
        ? $"{tag} by {e.FiredSignal.ToString().ToLowerInvariant()}" + (e.FiredSignal == GateSignal.Combined && e.Fired.FirstOrDefault(f => f.Tag == tag && f.Signal == GateSignal.Combined) is { } c
            ? string.Create(CultureInfo.InvariantCulture, $" (score {c.Value:G4} >= {c.Threshold:G4})")
            : string.Empty)
        : e.FiredSignal == GateSignal.Mode ? "mode rule (mean p(mode2) below its threshold)"
        : e.Rule.StartsWith("tool:", StringComparison.Ordinal) || e.Rule.StartsWith("default:", StringComparison.Ordinal) ? "tool rule" : "-";

    private static Decision ParseDecision(string text) => text.ToLowerInvariant() switch
    {
        "escalate" => Decision.Escalate,
        "block" => Decision.Block,
        _ => throw new ArgumentException($"--decision '{text}': use escalate or block."),
    };

    private static async Task<int> WithStoreAsync(ParseResult parseResult, Func<IRunStore, Task<int>> work)
    {
        var builder = AgentHost.CreateBuilder(parseResult);
        AgentHost.AddRuntime(builder);
        using var host = builder.Build();
        AgentHost.ValidateRuntimeOptions(host.Services);
        var store = host.Services.GetRequiredService<IRunStore>();
        await store.InitializeAsync().ConfigureAwait(false);
        try
        {
            return await work(store).ConfigureAwait(false);
        }
        catch (ApprovalException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.UserError;
        }
    }
}
