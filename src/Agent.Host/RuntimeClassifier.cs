using Agent.Monitoring;
using Agent.Runtime.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.Host;

/// <summary>
/// The gate's second signal for the runtime verbs: the classifier is loaded when (and only when) the policy in force at
/// start counts its signal for some tag. Verbs call <see cref="Load"/> before they store a run or start a sandbox, so
/// missing or mismatched weights are a one-line error (exit 2) naming the file and <c>agent classifier train</c>.
/// A policy edited later to count the classifier finds none loaded: its thresholds cannot fire until a restart.
/// </summary>
internal sealed class RuntimeClassifier : IDisposable
{
    private readonly IServiceProvider _services;
    private readonly Lazy<ITagClassifier?> _classifier;

    public RuntimeClassifier(IServiceProvider services)
    {
        _services = services;
        _classifier = new Lazy<ITagClassifier?>(Create);
    }

    /// <summary>The loaded classifier, or null when the policy counts only the model's signal.</summary>
    public ITagClassifier? Classifier => _classifier.Value;

    /// <summary>One line for people: whether the gate reads the classifier, and from which file.</summary>
    public string Describe()
    {
        var options = AgentHost.Options<ClassifierOptions>(_services, ClassifierOptions.Section);
        return Classifier is { } loaded
            ? $"gate signals: model temptation and the classifier ({loaded.WeightsPath})"
            : $"gate signals: the policy counts only the model's temptation; running without the classifier ({options.WeightsPath} not loaded)";
    }

    /// <summary>Loads the classifier now when the policy counts it.</summary>
    /// <exception cref="ClassifierWeightsException">The weights file is missing, corrupt, or made for another encoder or tag set.</exception>
    /// <exception cref="EncoderLoadException">The encoder cannot be loaded.</exception>
    public ITagClassifier? Load() => _classifier.Value;

    public void Dispose()
    {
        if (_classifier.IsValueCreated)
        {
            _classifier.Value?.Dispose();
        }
    }

    private ITagClassifier? Create()
    {
        var policy = _services.GetRequiredService<IOptionsMonitor<PolicyOptions>>().CurrentValue;
        var counted = policy.Tags.Where(t => t.Value.CountsClassifier).Select(t => t.Key)
            .Concat(policy.Tools.Values.SelectMany(t => t.Tags.Where(g => g.Value.CountsClassifier).Select(g => g.Key)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (counted.Length == 0)
        {
            return null;
        }

        var options = AgentHost.Options<ClassifierOptions>(_services, ClassifierOptions.Section);
        var paths = _services.GetRequiredService<AgentPaths>();
        var weights = paths.Resolve(options.WeightsPath);
        if (!File.Exists(weights))
        {
            throw new ClassifierWeightsException(
                $"The policy counts the classifier's signal for {string.Join(", ", counted)} (Policy:...:Signals), but its weights '{weights}' (Classifier:WeightsPath) do not exist. "
                + "Make them with 'agent classifier train', point Classifier:WeightsPath at them, or set Signals to Model for these tags.")
            { FilePath = weights };
        }

        return TagClassifier.Load(weights, options.EncoderPath is null ? null : paths.Resolve(options.EncoderPath), options.Threads, counted);
    }
}
