using System.Collections.Concurrent;
using Agent.Decoding;
using Agent.Llama;

namespace Agent.Runtime.Tests;

/// <summary>
/// The test seam: a random-weight tiny model cannot write valid tool calls, so each step's LINE is scripted, but its
/// TRACE is the real model's, scored by teacher forcing with the real decoder (<see cref="TagDecoder.ScoreAsync(string, string, DecodingConstraints?, CancellationToken)"/>)
/// on the exact prompt the loop rendered. Nothing else is faked: parsing, gating, storage and sandbox execution are real.
/// </summary>
internal sealed class ScriptedStepSource(TagDecoder decoder, IEnumerable<string> lines) : IAgentStepSource
{
    private readonly ConcurrentQueue<string> _lines = new(lines);

    public string ModelName => "tiny-test-model";

    /// <summary>The model's own chat template, so a tiny model that carries one runs in its chat format.</summary>
    public string? ChatTemplate => LlamaChatTemplates.Read(decoder.Model);

    public List<string> Prompts { get; } = [];

    public async Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default)
    {
        var line = _lines.TryDequeue(out var next) ? next : "answer (script ended)";
        Prompts.Add(request.Prompt);
        var trace = await decoder.ScoreAsync(request.Prompt, line, request.Constraints, cancellationToken);
        return new AgentStep(line, trace, trace.Entries.Length, Complete: true);
    }
}
