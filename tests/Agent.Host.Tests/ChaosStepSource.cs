using Agent.Decoding.Transcripts;
using Agent.Runtime;

namespace Agent.Host.Tests;

/// <summary>
/// The step source of a many-hosts host process: the LINE is <see cref="ChaosScripts.Next"/> of the prompt (so any
/// process continues any run where its journal stands), the TRACE is the real tiny model's, scored by teacher forcing
/// with the real decoder on the prompt (fitted to its context as the real source fits it).
/// </summary>
internal sealed class ChaosStepSource(TinyDecoder tiny) : IAgentStepSource
{
    public string ModelName => "tiny-test-model";

    public async Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var line = ChaosScripts.Next(request.Prompt);
        var vocab = tiny.Decoder.Model.Vocab;
        var prompt = PromptFitter.Fit(request.Prompt, text => vocab.Tokenize(text).Length, tiny.Decoder.ContextSize - vocab.Tokenize(line).Length - 8);
        var trace = await tiny.Decoder.ScoreAsync(prompt, line, request.Constraints, cancellationToken);
        return new AgentStep(line, trace, trace.Entries.Length, Complete: true);
    }
}
