using Agent.Decoding;
using Agent.Llama;
using Agent.Runtime;

namespace Agent.Host;

/// <summary>The one loaded model and its decoder, shared by every run of the process (parallel sequences); loaded on first use.</summary>
internal sealed class LoadedModel : IAgentStepSource, IDisposable
{
    private readonly Lazy<(LlamaModel Model, TagDecoder Decoder, IAgentStepSource Source)> _loaded;

    public LoadedModel(IServiceProvider services, string modelPath, int maxParallel)
    {
        ModelName = Path.GetFileName(modelPath);
        _loaded = new Lazy<(LlamaModel, TagDecoder, IAgentStepSource)>(() =>
        {
            var (model, decoder) = DecoderFactory.Create(services, modelPath, maxParallel);
            return (model, decoder, AgentStepSources.FromDecoder(decoder, ModelName));
        });
    }

    public string ModelName { get; }

    public Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default) =>
        _loaded.Value.Source.NextAsync(request, cancellationToken);

    public void Dispose()
    {
        if (_loaded.IsValueCreated)
        {
            _loaded.Value.Decoder.Dispose();
            _loaded.Value.Model.Dispose();
        }
    }
}
