namespace Agent.Llama.Ggml;

/// <summary>The outcome of one optimizer step.</summary>
/// <param name="Loss">The loss of this batch (per datapoint for mean, cross-entropy and squared error).</param>
/// <param name="Accuracy">For cross-entropy, the fraction of datapoints whose arg-max output matched the label's; otherwise NaN.</param>
/// <param name="OptimizerUpdated">Whether this step ended with an AdamW update (false while gradients accumulate, and for evaluation).</param>
public readonly record struct GgmlStepResult(double Loss, double Accuracy, bool OptimizerUpdated);
