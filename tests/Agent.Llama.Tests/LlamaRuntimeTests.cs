namespace Agent.Llama.Tests;

public class LlamaRuntimeTests
{
    [Fact]
    public void Initialize_DefaultCpu_LoadsLibrariesBackendsAndCpuDevice()
    {
        var info = LlamaRuntime.Initialize(new LlamaOptions());

        Assert.Equal("cpu", info.Backend);
        Assert.Contains(info.Devices, d => d.Kind == "cpu");
        Assert.Contains("CPU", info.Backends);
        Assert.Contains("CPU", info.SystemInfo, StringComparison.Ordinal);
        Assert.EndsWith("libllama.v0.5.0.so", info.Libraries["llama"], StringComparison.Ordinal);
        Assert.True(File.Exists(info.Libraries["ggml-base"]));
    }

    [Fact]
    public void Initialize_SecondCall_ReturnsSameInfo()
    {
        var first = LlamaRuntime.Initialize(new LlamaOptions());
        var second = LlamaRuntime.Initialize(new LlamaOptions());
        Assert.Same(first, second);
    }

    [Fact]
    public void Cuda_WhenNoGpuHere_IsSkippedWithReason()
    {
        // The CUDA backend needs an NVIDIA GPU and libcudart.so.13; CI has neither. Where one exists, run
        // `dotnet build -p:LlamaBackends="cpu;cuda"` and `Llama__Backend=cuda dotnet run --project src/Agent.Host -- info`.
        var hasGpu = File.Exists("/dev/nvidiactl");
        if (!hasGpu)
        {
            Assert.False(LlamaRuntime.EnsureInitialized().Devices.Any(d => d.Kind == "gpu"), "a GPU device appeared on a machine without /dev/nvidiactl");
            return;
        }

        Assert.Contains(LlamaRuntime.EnsureInitialized().Backends, b => b.Length > 0);
    }
}
