using Xunit;

namespace Agent.TestSupport;

/// <summary>A test that needs an NVIDIA GPU and the CUDA libraries; it is skipped, with the reason, on machines without one (CI).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuFactAttribute : FactAttribute
{
    /// <summary>Skips unless /dev/nvidiactl exists and the build fetched the CUDA libraries (native/cuda next to the tests).</summary>
    public GpuFactAttribute()
    {
        if (!File.Exists("/dev/nvidiactl"))
        {
            Skip = "needs an NVIDIA GPU (no /dev/nvidiactl on this machine)";
        }
        else if (!Directory.Exists(Path.Combine(AppContext.BaseDirectory, "native", "cuda")))
        {
            Skip = "needs the CUDA build of llama.cpp: dotnet build -p:LlamaBackends=\"cpu;cuda\" (restores LLamaSharp.Backend.Cuda12.Linux)";
        }
    }
}
