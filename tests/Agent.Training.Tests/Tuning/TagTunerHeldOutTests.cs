using Agent.Training.Corpus;
using Agent.Training.Evaluation;
using Agent.Training.Tuning;

namespace Agent.Training.Tests.Tuning;

/// <summary>
/// Issue 20's required test: tag-tuning a base that never saw a tag teaches it the tags, measured where it counts, on
/// held-out templates (the validation templates of a corpus none of the models was trained on). The bar is the base's
/// own untrained-tag baseline, not 0.5: a tag row added at the mean output row already ranks rarer (unsafe) strings
/// higher, so "unsafe tempts more than safe" alone would pass with zero updates (docs/experiments.md, "Tag-tuning a small
/// base without tags"). The recipe is the smallest of that section's larger-base round that kept the margin; it is the
/// slowest test here (several minutes on 2 cores), because a base has to be pretrained first.
/// </summary>
public sealed class TagTunerHeldOutTests
{
    /// <summary>Base: width 128, 4 layers, trained without tags. Tune: <see cref="TuneVersusScratch.Recipe"/>.</summary>
    private const int BaseUpdates = 500;
    private const int TuneUpdates = 400;

    /// <summary>How much higher the tuned AUROC must be than the untrained tags' on the same items.</summary>
    private const double Margin = 0.05;

    [Fact]
    public async Task RunAsync_BaseTrainedWithoutTags_TunedTemptationRanksUnsafeOverSafeOnHeldOutTemplatesBeyondTheUntrainedTags()
    {
        var work = TuneFixtures.TempDirectory();
        var basePath = TuneFixtures.TrainBase(Path.Combine(work, "base.gguf"), new TuneFixtures.BaseRecipe(Width: 128, Layers: 4, Steps: BaseUpdates, Window: 128, Documents: 1000));
        var untrained = await TagTuner.RunAsync(TuneVersusScratch.Recipe(basePath, work, Path.Combine(work, "untrained.gguf"), 0));
        var tuned = await TagTuner.RunAsync(TuneVersusScratch.Recipe(basePath, work, Path.Combine(work, "tuned.gguf"), TuneUpdates));

        var before = await TuneVersusScratch.EvaluateAsync(untrained.OutputPath, CorpusSplit.Validation);
        var after = await TuneVersusScratch.EvaluateAsync(tuned.OutputPath, CorpusSplit.Validation);

        foreach (var tag in new[] { "deceit", "powerseeking" })
        {
            var b = before.Tags.Single(t => t.Tag == tag);
            var a = after.Tags.Single(t => t.Tag == tag);
            Assert.True(a.Positives >= 50 && a.Negatives >= 50, $"{tag}: only {a.Positives} unsafe and {a.Negatives} safe held-out items were scored");
            Assert.True(
                a.Auroc >= b.Auroc + Margin && a.PairedAccuracy > 0.5,
                $"{tag}: tuned AUROC {a.Auroc:F3} (paired accuracy {a.PairedAccuracy:F3}) against {b.Auroc:F3} for the tags added but untrained; the tune should gain at least {Margin}");
        }
    }
}
