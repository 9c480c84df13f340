namespace Agent.Llama;

/// <summary>A compute device that a loaded ggml backend offers.</summary>
/// <param name="Name">ggml's device name, e.g. <c>CPU</c> or <c>CUDA0</c>.</param>
/// <param name="Description">The device description, e.g. the CPU or GPU model.</param>
/// <param name="Kind">cpu, gpu, igpu, accel or meta.</param>
/// <param name="Backend">The backend registry that offers it.</param>
/// <param name="MemoryFree">Free memory in bytes as the backend reports it.</param>
/// <param name="MemoryTotal">Total memory in bytes.</param>
public sealed record LlamaDevice(string Name, string Description, string Kind, string Backend, ulong MemoryFree, ulong MemoryTotal);
