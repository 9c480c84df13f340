using Agent.Llama.Gguf;

namespace Agent.Llama.Tests.Gguf;

public class GgufWriterTests
{
    [Fact]
    public void WriteToFile_ThenOpen_RoundTripsMetadataAndTensors()
    {
        var path = Path.Combine(Path.GetTempPath(), "agent-tests", Guid.NewGuid() + ".gguf");
        var values = Enumerable.Range(0, 6).Select(i => i * 0.5f).ToArray();
        using (var writer = new GgufWriter())
        {
            writer.Set("test.name", "hello")
                .Set("test.count", 42u)
                .Set("test.signed", -7)
                .Set("test.ratio", 0.25f)
                .Set("test.flag", true)
                .Set("test.words", ["a", "bé", "<deceit>"])
                .Set("test.ints", [1, 2, 3])
                .AddTensor("weights", values, [3, 2]);
            writer.WriteToFile(path);
        }

        using var file = GgufFile.Open(path);
        Assert.Equal("hello", file.Metadata["test.name"]);
        Assert.Equal(42u, file.Metadata["test.count"]);
        Assert.Equal(-7, file.Metadata["test.signed"]);
        Assert.Equal(0.25f, file.Metadata["test.ratio"]);
        Assert.Equal(true, file.Metadata["test.flag"]);
        Assert.Equal(new[] { "a", "bé", "<deceit>" }, file.Metadata["test.words"]);
        Assert.Equal(new[] { 1, 2, 3 }, file.Metadata["test.ints"]);
        var tensor = Assert.Single(file.Tensors);
        Assert.Equal("weights", tensor.Name);
        Assert.Equal("f32", tensor.Type);
        Assert.Equal(new long[] { 3, 2 }, tensor.Shape);
        Assert.Equal(values, file.ReadTensorF32("weights"));
    }

    [Fact]
    public void AddTensor_DuplicateName_ThrowsInsteadOfAbortingTheProcess()
    {
        using var writer = new GgufWriter();
        writer.AddTensor("w", [1f], [1]);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("w", [1f], [1]));
    }

    [Fact]
    public void AddTensor_DataNotMatchingShape_Throws()
    {
        using var writer = new GgufWriter();
        var e = Assert.Throws<ArgumentException>(() => writer.AddTensor("w", [1f, 2f, 3f], [2, 2]));
        Assert.Contains("4 elements", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_TruncatedFile_ThrowsGgufException()
    {
        var path = Path.Combine(Path.GetTempPath(), "agent-tests", Guid.NewGuid() + ".gguf");
        using (var writer = new GgufWriter())
        {
            writer.Set("k", "v").AddTensor("w", new float[1000], [1000]);
            writer.WriteToFile(path);
        }

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);

        Assert.Throws<GgufException>(() => GgufFile.Open(path));
    }
}
