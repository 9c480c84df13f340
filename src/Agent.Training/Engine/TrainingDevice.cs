namespace Agent.Training.Engine;

/// <summary>Where a <see cref="LlamaTrainer"/> computes.</summary>
public enum TrainingDevice
{
    /// <summary>The first CUDA GPU when ggml found one, else the CPU.</summary>
    Auto = 0,

    /// <summary>The CPU, with <see cref="TrainingOptions.Threads"/> threads.</summary>
    Cpu = 1,

    /// <summary>The first CUDA GPU; creating the trainer fails when there is none.</summary>
    Cuda = 2,
}
