using System.Collections.Concurrent;
using Agent.Runtime;

namespace Agent.Host.Tests;

/// <summary>
/// The test seam of the worker tests (as in Agent.Runtime.Tests): each step's LINE is scripted per task, its TRACE is the
/// real decoder's, scored by teacher forcing on the exact prompt the loop rendered. <see cref="BeforeStep"/> lets a test
/// act between two steps of a run (kill its sandbox, stop the host) and receives the runner's cancellation token.
/// </summary>
internal sealed class ScriptedStepSource(TinyDecoder tiny) : IAgentStepSource
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _served = new(StringComparer.Ordinal);

    public string ModelName => "tiny-test-model";

    /// <summary>Called with the task and the 1-based number of the step about to be produced.</summary>
    public Func<string, int, CancellationToken, Task>? BeforeStep { get; set; }

    public ConcurrentQueue<string> Prompts { get; } = new();

    public void Script(string task, params string[] lines) => _scripts[task] = new ConcurrentQueue<string>(lines);

    public async Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default)
    {
        var task = _scripts.Keys.Single(t => request.Prompt.Contains(t, StringComparison.Ordinal));
        var number = _served.AddOrUpdate(task, 1, (_, n) => n + 1);
        if (BeforeStep is { } hook)
        {
            await hook(task, number, cancellationToken);
        }

        var line = _scripts[task].TryDequeue(out var next) ? next : "answer (script ended)";
        Prompts.Enqueue(request.Prompt);
        var trace = await tiny.Decoder.ScoreAsync(request.Prompt, line, request.Constraints, cancellationToken);
        return new AgentStep(line, trace, trace.Entries.Length, Complete: true);
    }
}
