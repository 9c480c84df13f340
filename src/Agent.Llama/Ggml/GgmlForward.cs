namespace Agent.Llama.Ggml;

/// <summary>
/// What a graph-building callback gives <see cref="GgmlOptimizer"/>: the batch input tensor and the output tensor
/// (logits for cross-entropy: [n_classes, n_datapoints]; ne[1] is read as the number of datapoints).
/// </summary>
/// <param name="Inputs">The input the dataset fills (or the callback writes); marked as a graph input.</param>
/// <param name="Outputs">The model output the loss is computed on; F32.</param>
public readonly record struct GgmlForward(GgmlTensor Inputs, GgmlTensor Outputs);
