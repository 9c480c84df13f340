using Agent.TestSupport;

namespace Agent.Llama.Tests;

/// <summary>One loaded tiny model shared by tests that only read it (loading is cheap, but tests stay fast).</summary>
internal static class SharedModel
{
    private static readonly Lazy<LlamaModel> Lazy = new(() => LlamaModel.Load(TinyModel.DefaultPath));

    public static LlamaModel Instance => Lazy.Value;
}
