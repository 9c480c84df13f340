namespace Agent.Llama.Ggml;

/// <summary>The tensors of one optimizer step, allocated and ready to be written before the step computes.</summary>
/// <param name="Inputs">The forward graph's inputs.</param>
/// <param name="Outputs">The forward graph's outputs (not computed yet).</param>
/// <param name="Labels">The labels (same shape as the outputs) for cross-entropy and squared error; default otherwise.</param>
public readonly record struct GgmlOptimizerBatch(GgmlTensor Inputs, GgmlTensor Outputs, GgmlTensor Labels);
