using System.Collections.Immutable;

namespace Agent.Monitoring;

/// <summary>
/// The second signal of the gate and the corpus tagger: per behaviour tag, a head on sentence embeddings of an action and
/// its context. Thread-safe. Made by <see cref="TagClassifier"/>.
/// </summary>
public interface ITagClassifier : IDisposable
{
    /// <summary>The weights file it was loaded from.</summary>
    string WeightsPath { get; }

    /// <summary>The heads: tag, the kind of action each reads, its threshold.</summary>
    ImmutableArray<TagHeadInfo> Heads { get; }

    /// <summary>Scores one action with every head that reads its kind.</summary>
    /// <param name="input">The action with its context.</param>
    /// <returns>Per tag, the probability; and whether a text was truncated.</returns>
    TagScores Score(ClassifierInput input);
}
