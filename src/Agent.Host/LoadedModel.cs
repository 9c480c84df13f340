using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Llama;
using Agent.Runtime;
using Agent.Runtime.Policy;

namespace Agent.Host;

/// <summary>The one loaded model and its decoder, shared by every run of the process (parallel sequences); loaded on first use.</summary>
internal sealed class LoadedModel : IAgentStepSource, IDisposable
{
    private readonly Lazy<(LlamaModel Model, TagDecoder Decoder, IAgentStepSource Source, IReadOnlyDictionary<string, TagTokenState> TagStates)> _loaded;

    private readonly string _modelPath;

    private readonly Lock _loadingLock = new();

    private Task? _loading;

    public LoadedModel(IServiceProvider services, string modelPath, int maxParallel)
    {
        _modelPath = modelPath;
        ModelName = Path.GetFileName(modelPath);
        _loaded = new Lazy<(LlamaModel, TagDecoder, IAgentStepSource, IReadOnlyDictionary<string, TagTokenState>)>(() =>
        {
            var (model, decoder) = DecoderFactory.Create(services, modelPath, maxParallel);
            try
            {
                var states = TagTokens.Inspect(decoder.Tags, model.Path);
                var source = AgentStepSources.FromDecoder(decoder, ModelName, states);
                CheckFormat(source.ChatTemplate, model.Path);
                return (model, decoder, source, states);
            }
            catch
            {
                decoder.Dispose();
                model.Dispose();
                throw;
            }
        });
    }

    public string ModelName { get; }

    /// <summary>
    /// Checks that the model file is there and is GGUF, without loading it: verbs call this before they store a run or
    /// start a sandbox, so a wrong Llama:ModelPath is a one-line error (exit 2) rather than a failed run.
    /// </summary>
    /// <exception cref="ModelLoadException">The file is missing, unreadable, or not GGUF.</exception>
    public void CheckFile() => LlamaModel.CheckFile(_modelPath);

    /// <summary>
    /// Checks, without loading the model, that a policy with a mode rule (<c>Policy:ModeHead</c>,
    /// <c>Policy:Tools:&lt;tool&gt;:ModeHead</c>) has a mode head to read: verbs call this before they store a run, so a rule
    /// the model cannot serve is a one-line error (exit 2) rather than a run that ignores it. Returns one line for people
    /// saying whether the gate reads the mode, or null when there is no rule.
    /// </summary>
    /// <exception cref="ModeHeadException">The policy has a mode rule and there is no head beside the model.</exception>
    public string? CheckModeRule(PolicyOptions policy)
    {
        var rules = ActionPolicy.ModeRuleKeys(policy);
        if (rules.Count == 0)
        {
            return null;
        }

        var head = ModeHead.PathFor(_modelPath);
        if (!File.Exists(head))
        {
            throw new ModeHeadException(
                $"The policy has a mode rule ({string.Join(", ", rules)}) but the model '{_modelPath}' has no mode head ('{head}' does not exist), so the rule cannot be read. "
                + $"Use a model with a mode head ('agent train --mode-head-weight' trains one), or remove {string.Join(" and ", rules)} from the policy.");
        }

        return $"mode rule: {string.Join(", ", rules)} reads the mean p(mode2) of each action from {head}";
    }

    /// <summary>
    /// Checks that the model has a trained single token for every tag whose policy entry reads the combined signal
    /// (<c>Signals: Combined</c>), which needs the model's temptation: verbs call this before they store a run, so such a
    /// policy is a one-line error (exit 2) rather than a run whose combined rule can never fire. Loads the model when (and
    /// only when) the policy has a combined entry. Returns one line for people naming the entries, or null when none.
    /// </summary>
    /// <exception cref="ConfigurationException">A combined entry names a tag the model has no trained single token for.</exception>
    /// <exception cref="ModelLoadException">The model cannot be loaded.</exception>
    public string? CheckCombinedRule(PolicyOptions policy)
    {
        var rules = ActionPolicy.CombinedRuleKeys(policy);
        if (rules.Count == 0)
        {
            return null;
        }

        Load();
        var without = TagsWithoutModelSignal;
        var unreadable = rules.Where(r => without.Contains(r.Tag)).ToList();
        if (unreadable.Count > 0)
        {
            var tags = unreadable.Select(r => r.Tag).Distinct(StringComparer.Ordinal).ToList();
            throw new ConfigurationException(
                $"The policy reads the combined signal at {string.Join(", ", unreadable.Select(r => r.Key + ":Signals"))} but the model '{_modelPath}' has no trained single token for "
                + $"{string.Join(", ", tags)} ({string.Join(", ", tags.Select(t => TagReadout.Words(_loaded.Value.TagStates[t])))}), so the combined score cannot be computed. "
                + "Use a model trained with the tag, or set Signals to Classifier or Both at those keys.");
        }

        return $"combined signal: {string.Join(", ", rules.Select(r => r.Key))} read(s) the score sigmoid(Intercept + Model·logit(model temptation) + Classifier·logit(classifier p))";
    }

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

    /// <summary>The model's chat template, or null (loads the model).</summary>
    public string? ChatTemplate => _loaded.Value.Source.ChatTemplate;

    /// <summary>The transcript format the runs of this model use: <c>project</c>, <c>chatml</c> or <c>llama3</c> (loads the model).</summary>
    public string FormatName => TranscriptFormat.ForModel(ChatTemplate, new ChatTemplateOptions()).Name;

    /// <summary>What the gate can read for each configured tag (loads the model).</summary>
    public IReadOnlyList<TagReadout> DescribeTags(PolicyOptions policy, bool? classifierLoaded) =>
        TagReadout.Describe(_loaded.Value.Decoder.Tags, _loaded.Value.TagStates, policy, classifierLoaded);

    /// <summary>
    /// The behaviour tags the loaded model has no signal for (multi-token, or a single token never trained);
    /// empty while the model is not loaded.
    /// </summary>
    public IReadOnlyCollection<string> TagsWithoutModelSignal =>
        _loaded.IsValueCreated ? AgentStepSources.TagsWithoutModelSignal(_loaded.Value.Decoder.Tags, _loaded.Value.TagStates) : [];

    /// <summary>Refuses, at load, a chat template the runtime does not lay out.</summary>
    /// <exception cref="ModelLoadException">The template is of another family; the message names the file and the families.</exception>
    internal static void CheckFormat(string? chatTemplate, string modelPath)
    {
        try
        {
            _ = TranscriptFormat.ForModel(chatTemplate, new ChatTemplateOptions());
        }
        catch (TranscriptFormatException e)
        {
            throw new ModelLoadException($"'{modelPath}': {e.Message}");
        }
    }

    public void Dispose()
    {
        if (_loaded.IsValueCreated)
        {
            _loaded.Value.Decoder.Dispose();
            _loaded.Value.Model.Dispose();
        }
    }
}
