using Agent.Decoding;
using Agent.Llama;

namespace Agent.Host;

/// <summary>Loads the configured (or given) model and builds a <see cref="TagDecoder"/> over it with the configured tags.</summary>
internal static class DecoderFactory
{
    /// <summary>Loads a model and its decoder; dispose the decoder before the model.</summary>
    /// <exception cref="ModelLoadException">The model cannot be loaded.</exception>
    /// <exception cref="UnknownTagException">A configured tag cannot be spelled by the model.</exception>
    /// <exception cref="ModeHeadException">The model's mode head file is broken or belongs to another model.</exception>
    public static (LlamaModel Model, TagDecoder Decoder) Create(IServiceProvider services, string? modelPath, int maxParallel = 1)
    {
        AgentHost.InitializeLlama(services);
        var llama = AgentHost.Options<LlamaOptions>(services, LlamaOptions.Section);
        var tags = AgentHost.Options<TagOptions>(services, TagOptions.Section);
        var paths = (AgentPaths)services.GetService(typeof(AgentPaths))!;
        var path = paths.Resolve(modelPath ?? llama.ModelPath);
        var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = llama.GpuLayers });
        try
        {
            var tagSet = TagSet.Resolve(model.Vocab, tags);

            // The per-token mode signal, when the model was trained with a head (it lies beside the model); without one
            // the decoder runs exactly as before. A head that belongs to another model stops here, naming both files.
            var modeHead = ModeHead.TryLoad(path);
            var decoder = TagDecoder.Create(model, tagSet, new DecoderOptions
            {
                // A model attends reliably only within the context it was trained with: Llama:ContextSize is capped by it.
                ContextSize = Math.Min(llama.ContextSize, Math.Max(16, model.TrainingContextSize)),
                BatchSize = llama.BatchSize,
                Threads = llama.EffectiveThreads,
                MaxParallel = maxParallel,
                ModeHead = modeHead,
            });
            return (model, decoder);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
