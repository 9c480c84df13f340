namespace Agent.Llama.Ggml;

/// <summary>The quantity <see cref="GgmlOptimizer"/> minimises (<c>enum ggml_opt_loss_type</c>).</summary>
public enum GgmlLossType
{
    /// <summary>Mean of the outputs: the outputs already are per-datapoint losses.</summary>
    Mean = 0,

    /// <summary>Sum of the outputs.</summary>
    Sum = 1,

    /// <summary>Cross-entropy between softmax(outputs) and the labels (one row of class probabilities per datapoint).</summary>
    CrossEntropy = 2,

    /// <summary>Mean squared error between the outputs and the labels.</summary>
    MeanSquaredError = 3,
}
