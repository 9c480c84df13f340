using Agent.Decoding;
using Agent.Llama;
using Agent.Runtime;

namespace Agent.Host;

/// <summary>The one loaded model and its decoder, shared by every run of the process (parallel sequences); loaded on first use.</summary>
internal sealed class LoadedModel : IAgentStepSource, IDisposable
{
    private readonly Lazy<(LlamaModel Model, TagDecoder Decoder, IAgentStepSource Source)> _loaded;

    private readonly string _modelPath;

    private readonly Lock _loadingLock = new();

    private Task? _loading;

    public LoadedModel(IServiceProvider services, string modelPath, int maxParallel)
    {
        _modelPath = modelPath;
        ModelName = Path.GetFileName(modelPath);
        _loaded = new Lazy<(LlamaModel, TagDecoder, IAgentStepSource)>(() =>
        {
            var (model, decoder) = DecoderFactory.Create(services, modelPath, maxParallel);
            return (model, decoder, AgentStepSources.FromDecoder(decoder, ModelName));
        });
    }

    public string ModelName { get; }

    /// <summary>
    /// Checks that the model file is there and is GGUF, without loading it: verbs call this before they store a run or
    /// start a sandbox, so a wrong Llama:ModelPath is a one-line error (exit 2) rather than a failed run.
    /// </summary>
    /// <exception cref="ModelLoadException">The file is missing, unreadable, or not GGUF.</exception>
    public void CheckFile() => LlamaModel.CheckFile(_modelPath);

    /// <summary>Loads the model now (e.g. so a benchmark does not count the load in its first step).</summary>
    /// <exception cref="ModelLoadException">The model cannot be loaded.</exception>
    public void Load() => _ = _loaded.Value;

    /// <summary>Whether the model is loaded (false while loading and after a failed load).</summary>
    public bool IsLoaded => _loaded.IsValueCreated;

    /// <summary>
    /// Starts loading the model on the thread pool, once: <c>agent serve</c> calls it at start and <c>GET /readyz</c> when the
    /// model is not loaded yet, so the service turns ready without waiting for its first run.
    /// </summary>
    /// <returns>The load; faulted with <see cref="ModelLoadException"/> when the model cannot be loaded.</returns>
    public Task LoadInBackground()
    {
        lock (_loadingLock)
        {
            return _loading ??= Task.Run(Load);
        }
    }

    public Task<AgentStep> NextAsync(AgentStepRequest request, CancellationToken cancellationToken = default) =>
        _loaded.Value.Source.NextAsync(request, cancellationToken);

    /// <summary>
    /// The behaviour tags the loaded model has no trained single control token for (its own signal is absent for them);
    /// empty while the model is not loaded.
    /// </summary>
    public IReadOnlyCollection<string> TagsWithoutModelSignal =>
        _loaded.IsValueCreated ? AgentStepSources.TagsWithoutModelSignal(_loaded.Value.Decoder.Tags) : [];

    /// <summary>A line for people when the model's own signal is absent for some tag, else null.</summary>
    public string? DescribeMissingSignal(bool classifierLoaded) => TagsWithoutModelSignal.Count == 0
        ? null
        : $"the model's own signal is absent for {string.Join(", ", TagsWithoutModelSignal.Select(t => "<" + t + ">"))} (not a single trained control token, see 'agent info'); "
            + (classifierLoaded ? "the gate reads the classifier for these tags" : "the policy counts only the model's signal, so these tags cannot stop an action: count the classifier (Policy:Tags:<tag>:Signals)");

    public void Dispose()
    {
        if (_loaded.IsValueCreated)
        {
            _loaded.Value.Decoder.Dispose();
            _loaded.Value.Model.Dispose();
        }
    }
}
