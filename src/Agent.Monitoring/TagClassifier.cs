using Agent.Monitoring.Internal;

namespace Agent.Monitoring;

/// <summary>Loads a classifier: the sentence encoder and the heads of a weights file made by <see cref="ClassifierTrainer"/>.</summary>
public static class TagClassifier
{
    /// <summary>Loads the weights and checks that they were made for <paramref name="encoder"/>.</summary>
    /// <param name="weightsPath">The weights file (e.g. <c>models/classifier.bin</c>).</param>
    /// <param name="encoder">The encoder; the classifier does not dispose it.</param>
    /// <param name="requiredTags">Tags that must each have a head; null for none.</param>
    /// <returns>The classifier.</returns>
    /// <exception cref="ClassifierWeightsException">The file is missing or corrupt, or was made for another encoder,
    /// dimension or tag set; the message names the file and says to run <c>agent classifier train</c>.</exception>
    public static ITagClassifier Load(string weightsPath, ITextEncoder encoder, IEnumerable<string>? requiredTags = null) =>
        Load(weightsPath, encoder, ownsEncoder: false, requiredTags);

    /// <summary>Loads the default encoder (<see cref="TextEncoder.Load"/>) and the weights.</summary>
    /// <param name="weightsPath">The weights file.</param>
    /// <param name="encoderPath">The encoder file, null for the default.</param>
    /// <param name="threads">Encoder threads, 0 for ONNX Runtime's choice.</param>
    /// <param name="requiredTags">Tags that must each have a head; null for none.</param>
    /// <returns>The classifier; disposing it disposes the encoder.</returns>
    /// <exception cref="ClassifierWeightsException">As <see cref="Load(string, ITextEncoder, IEnumerable{string}?)"/>; checked before the encoder loads.</exception>
    /// <exception cref="EncoderLoadException">The encoder file is missing or unreadable.</exception>
    public static ITagClassifier Load(string weightsPath, string? encoderPath = null, int threads = 0, IEnumerable<string>? requiredTags = null)
    {
        ArgumentNullException.ThrowIfNull(weightsPath);
        var (header, heads) = WeightsFile.Read(weightsPath);
        CheckTags(weightsPath, heads, requiredTags);
        var encoder = TextEncoder.Load(encoderPath, threads);
        try
        {
            CheckEncoder(weightsPath, header, encoder);
            return new EncoderTagClassifier(weightsPath, encoder, ownsEncoder: true, heads);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    private static EncoderTagClassifier Load(string weightsPath, ITextEncoder encoder, bool ownsEncoder, IEnumerable<string>? requiredTags)
    {
        ArgumentNullException.ThrowIfNull(weightsPath);
        ArgumentNullException.ThrowIfNull(encoder);
        var (header, heads) = WeightsFile.Read(weightsPath);
        CheckTags(weightsPath, heads, requiredTags);
        CheckEncoder(weightsPath, header, encoder);
        return new EncoderTagClassifier(weightsPath, encoder, ownsEncoder, heads);
    }

    private static void CheckEncoder(string path, WeightsHeader header, ITextEncoder encoder)
    {
        if (header.Encoder != encoder.Id || header.Dimension != encoder.Dimension)
        {
            throw WeightsFile.Error(path, $"The classifier weights file '{path}' was made for the encoder {header.Encoder} ({header.Dimension} dimensions), not {encoder.Id} ({encoder.Dimension}).");
        }
    }

    private static void CheckTags(string path, List<LogisticHead> heads, IEnumerable<string>? requiredTags)
    {
        var missing = (requiredTags ?? []).Where(t => heads.All(h => h.Tag != t)).ToList();
        if (missing.Count > 0)
        {
            throw WeightsFile.Error(path, $"The classifier weights file '{path}' has heads for {string.Join(", ", heads.Select(h => h.Tag))} but not for {string.Join(", ", missing)}.");
        }
    }
}
