using Agent.Decoding.Transcripts;
using Agent.Decoding;

namespace Agent.Runtime;

/// <summary>Factories of <see cref="IAgentStepSource"/>.</summary>
public static class AgentStepSources
{
    /// <summary>Generates each line with the constrained decoder, stopping at the newline that ends an agent line.</summary>
    public static IAgentStepSource FromDecoder(TagDecoder decoder, string modelName)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        return new DecoderStepSource(decoder, modelName);
    }

    /// <summary>The behaviour tags of <paramref name="tags"/> that are not one trained control token each way (see <c>agent info</c>).</summary>
    public static IReadOnlyCollection<string> TagsWithoutModelSignal(TagSet tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return [.. tags.Tags.Where(t => t.Kind == TagKind.Behaviour && !t.IsSingleToken).Select(t => t.Name)];
    }

    private sealed class DecoderStepSource(TagDecoder decoder, string modelName) : IAgentStepSource
    {
        public string ModelName { get; } = modelName;

        public async Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(request);
            var maxTokens = Math.Min(request.MaxTokens, decoder.ContextSize / 2);
            var prompt = PromptFitter.Fit(request.Prompt, text => decoder.Model.Vocab.Tokenize(text).Length, decoder.ContextSize - maxTokens - 1);
            var result = await decoder.GenerateAsync(
                new GenerationRequest(prompt)
                {
                    Constraints = request.Constraints,
                    MaxTokens = maxTokens,
                    StopStrings = ["\n"],
                    Sampling = request.Sampling,
                },
                cancellationToken).ConfigureAwait(false);
            var complete = result.StopReason is StopReason.StopString or StopReason.EndOfGeneration;
            return new AgentStep(result.Text, result.Trace, result.Trace.Entries.Length, complete) { TagsWithoutModelSignal = TagsWithoutModelSignal(decoder.Tags) };
        }
    }
}
