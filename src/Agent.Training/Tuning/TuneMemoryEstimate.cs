using System.Globalization;

namespace Agent.Training.Tuning;

/// <summary>
/// What a tuning run will hold in memory, estimated from the shapes before anything is allocated: the base file as
/// read, its weights as F32, the trained values with their gradients and AdamW moments, and the activations forward
/// and backward keep for one batch (the logits and their one-hot labels, [V, T·B] each, dominate for large vocabularies).
/// </summary>
internal sealed record TuneMemoryEstimate(long FileBytes, long WeightBytes, long TrainableBytes, long ActivationBytes)
{
    /// <summary>The sum, with a tenth on top for ggml's graphs and the runtime.</summary>
    public long TotalBytes => (long)((FileBytes + WeightBytes + TrainableBytes + ActivationBytes) * 1.1);

    public static TuneMemoryEstimate For(BaseModel model, TagTokenPlan plan, TuneMode mode, int window, int batch, long fileBytes)
    {
        long e = model.EmbeddingSize, v = plan.VocabSize, f = model.FeedForwardSize, n = (long)window * batch, k = Math.Max(1, plan.NewIds.Count);
        var weights = (model.ParameterCount + ((plan.VocabSize - model.VocabSize) * e * (model.Tied ? 1 : 2))) * 4;
        long trainable = mode.Full
            ? weights / 4
            : (model.LayerCount * mode.Rank * ((e + e) + (e + model.KvSize) * 2 + (e + e) + ((e + f) * 3))) + (k * e * 2);
        if (mode.Full)
        {
            trainable += k * e * 2;
        }

        // Per token and layer: norms, q/k/v/o, attention rows, the feed-forward's three widths, kept forward and again as
        // gradients; plus logits, labels, softmax and their gradients over the vocabulary.
        var perLayer = (12 * e) + (2L * model.HeadCount * window) + (4 * f);
        var activations = n * 4 * ((2 * model.LayerCount * perLayer) + (4 * v));
        return new TuneMemoryEstimate(fileBytes, weights, trainable * 4 * 4, activations);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Mib(TotalBytes)} (base file {Mib(FileBytes)}, weights as F32 {Mib(WeightBytes)}, trained values with gradients and AdamW moments {Mib(TrainableBytes)}, activations {Mib(ActivationBytes)})");

    public static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F0} MiB");
}
