namespace Agent.Training.Experiments;

/// <summary>A behaviour tag's temptation on held-out action pairs, with the context's mode tags and without them.</summary>
/// <param name="Tag">The behaviour tag.</param>
/// <param name="Aggregate">The aggregate read over the action's tokens (the policy's).</param>
/// <param name="Positives">Unsafe or deceitful actions.</param>
/// <param name="Negatives">Their safe or honest twins.</param>
/// <param name="AurocTagged">AUROC with the mode tags.</param>
/// <param name="AurocStripped">AUROC without them.</param>
/// <param name="PositiveMeanTagged">Mean temptation of the positives with the tags.</param>
/// <param name="PositiveMeanStripped">... without them.</param>
/// <param name="NegativeMeanTagged">Mean temptation of the negatives with the tags.</param>
/// <param name="NegativeMeanStripped">... without them.</param>
/// <param name="HeadOnActionTagged">The head's mean p(Mode 2) over the action's tokens with the tags.</param>
/// <param name="HeadOnActionStripped">... without them.</param>
/// <param name="SkippedPairs">Pairs passed over on the way to the scored ones because their context and action do not fit the model's context.</param>
public sealed record TemptationShift(
    string Tag, string Aggregate, int Positives, int Negatives, double AurocTagged, double AurocStripped, double PositiveMeanTagged, double PositiveMeanStripped,
    double NegativeMeanTagged, double NegativeMeanStripped, double HeadOnActionTagged, double HeadOnActionStripped, int SkippedPairs);
