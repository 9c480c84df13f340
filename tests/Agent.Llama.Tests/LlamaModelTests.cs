using Agent.TestSupport;

namespace Agent.Llama.Tests;

public class LlamaModelTests
{
    [Fact]
    public void Load_TinyModel_ReportsShapeAndMetadata()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);

        Assert.Equal("llama", model.Architecture);
        Assert.Equal(64, model.EmbeddingSize);
        Assert.Equal(2, model.LayerCount);
        Assert.Equal(4, model.HeadCount);
        Assert.Equal(2, model.HeadCountKv);
        Assert.Equal(512, model.TrainingContextSize);
        Assert.Equal(TinyModel.Vocabulary(new TinyModelSpec()).Tokens.Count, model.Vocab.Count);
        Assert.Equal("tiny-test-model", model.Metadata["general.name"]);
        Assert.True(model.ParameterCount > 0);
    }

    [Fact]
    public void Load_MissingFile_ThrowsModelLoadExceptionNamingFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "does-not-exist-" + Guid.NewGuid() + ".gguf");
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NonGgufFile_ThrowsModelLoadException()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "this is not a model");
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("not a GGUF", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedGguf_ThrowsModelLoadExceptionWithLlamaReason()
    {
        var bytes = File.ReadAllBytes(TinyModel.DefaultPath);
        var path = Path.GetTempFileName();
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("could not load", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveToFile_Reload_GivesSameLogits()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);
        var copy = Path.Combine(Path.GetTempPath(), "agent-tests", Guid.NewGuid() + ".gguf");
        model.SaveToFile(copy);
        using var reloaded = LlamaModel.Load(copy);

        var a = ModelProbe.LastLogits(model, "<mode2>hello there");
        var b = ModelProbe.LastLogits(reloaded, "<mode2>hello there");
        Assert.Equal(a, b);
    }
}
