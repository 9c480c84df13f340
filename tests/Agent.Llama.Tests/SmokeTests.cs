namespace Agent.Llama.Tests;

public class SmokeTests
{
    [Fact]
    public void Initialize_DefaultCpu_LoadsBackendsAndCpuDevice()
    {
        var info = LlamaRuntime.Initialize(new LlamaNativeOptions());
        Assert.Contains(info.Devices, d => d.Kind == "cpu");
        Assert.NotEmpty(info.SystemInfo);
        Assert.Contains("libllama", info.Libraries["llama"], StringComparison.Ordinal);
    }
}
