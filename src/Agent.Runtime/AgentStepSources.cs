using Agent.Decoding;
using Agent.Decoding.Chat;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Runtime.Kernel;
using Microsoft.Extensions.AI;

namespace Agent.Runtime;

/// <summary>Factories of <see cref="IAgentStepSource"/>.</summary>
public static class AgentStepSources
{
    /// <summary>Generates each step with the constrained decoder, stopping where the request's format ends a step (the newline of an agent line, a template's end of turn).</summary>
    /// <param name="decoder">The decoder.</param>
    /// <param name="modelName">The model's name for runs and logs.</param>
    /// <param name="tagStates">How the model spells each tag (<see cref="TagTokens.Inspect"/>); read from the model file when null.</param>
    public static IAgentStepSource FromDecoder(TagDecoder decoder, string modelName, IReadOnlyDictionary<string, TagTokenState>? tagStates = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        return new DecoderStepSource(decoder, modelName, tagStates);
    }

    /// <summary>The behaviour tags of <paramref name="tags"/> that are not one control token each way (see <c>agent info</c>).</summary>
    public static IReadOnlyCollection<string> TagsWithoutModelSignal(TagSet tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return [.. tags.Tags.Where(t => t.Kind == TagKind.Behaviour && !t.IsSingleToken).Select(t => t.Name)];
    }

    /// <summary>The behaviour tags the model has no signal for: multi-token, or a single token that was never trained.</summary>
    public static IReadOnlyCollection<string> TagsWithoutModelSignal(TagSet tags, IReadOnlyDictionary<string, TagTokenState> states)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(states);
        return [.. tags.Tags.Where(t => t.Kind == TagKind.Behaviour && !TagTokens.IsModelSignal(states[t.Name])).Select(t => t.Name)];
    }

    private sealed class DecoderStepSource(TagDecoder decoder, string modelName, IReadOnlyDictionary<string, TagTokenState>? tagStates) : IAgentStepSource
    {
        private readonly Lazy<string?> _chatTemplate = new(() => LlamaChatTemplates.Read(decoder.Model));
        private readonly Lazy<IReadOnlyCollection<string>> _withoutSignal = new(() =>
            TagsWithoutModelSignal(decoder.Tags, tagStates ?? TagTokens.Inspect(decoder.Tags, decoder.Model.Path)));

        public string ModelName { get; } = modelName;

        public string? ChatTemplate => _chatTemplate.Value;

        /// <summary>The decoder's own chat client: it renders, fits and decodes exactly as <see cref="NextAsync"/> does.</summary>
        public IChatClient AsChatClient(ITranscriptFormat format, DecodingConstraints constraints) =>
            StepSourceChatClient.WithTagsWithoutModelSignal(decoder.AsChatClient(ModelName, constraints, format), () => _withoutSignal.Value);

        public async Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(request);
            var maxTokens = Math.Min(request.MaxTokens, decoder.ContextSize / 2);
            var prompt = request.Format.FitPrompt(request.Prompt, text => decoder.Model.Vocab.Tokenize(text).Length, decoder.ContextSize - maxTokens - 1);
            var result = await decoder.GenerateAsync(
                new GenerationRequest(prompt)
                {
                    Constraints = request.Constraints,
                    MaxTokens = maxTokens,
                    StopStrings = [.. request.Format.StepStopStrings],
                    Sampling = request.Sampling,
                },
                cancellationToken).ConfigureAwait(false);
            var complete = result.StopReason is StopReason.StopString or StopReason.EndOfGeneration;
            return new AgentStep(result.Text, result.Trace, result.Trace.Entries.Length, complete) { TagsWithoutModelSignal = _withoutSignal.Value };
        }
    }
}
