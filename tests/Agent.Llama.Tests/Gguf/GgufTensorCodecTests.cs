using Agent.Llama.Gguf;

namespace Agent.Llama.Tests.Gguf;

public class GgufTensorCodecTests
{
    [Theory]
    [InlineData(GgufTensorType.F16, 1e-3)]
    [InlineData(GgufTensorType.BF16, 1e-2)]
    [InlineData(GgufTensorType.Q8_0, 2e-2)]
    [InlineData(GgufTensorType.Q4_K, 0.2)]
    public void FromFloatThenToFloat_RoundTripsWithinTheTypesPrecision(GgufTensorType type, double tolerance)
    {
        var random = new Random(4);
        var values = Enumerable.Range(0, 512).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();

        var encoded = GgufTensorCodec.FromFloat(type, values, rowLength: 256);
        var decoded = GgufTensorCodec.ToFloat(type, encoded, values.Length);

        Assert.Equal(GgufTensorCodec.ByteCount(type, values.Length, 256), encoded.Length);
        Assert.True(encoded.Length < values.Length * sizeof(float));
        var worst = values.Zip(decoded).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < tolerance, $"{type}: largest error {worst}");
        Assert.True(worst > 0, $"{type} decoded exactly; the conversion did not happen");
    }

    [Theory]
    [InlineData(0, true)] // F32
    [InlineData(2, true)] // Q4_0
    [InlineData(14, true)] // Q6_K
    [InlineData(16, true)] // IQ2_XXS
    [InlineData(4, false)] // a removed type's slot
    [InlineData(26, false)] // I32
    [InlineData(28, false)] // F64
    [InlineData(-1, false)]
    [InlineData(10_000, false)]
    public void CanDecode_FollowsGgmlsConverters(int ggmlType, bool expected) =>
        Assert.Equal(expected, GgufTensorCodec.CanDecode(ggmlType));

    [Fact]
    public void ToFloat_TypeGgmlCannotDecode_RefusesNamingTheType()
    {
        var error = Assert.Throws<ArgumentException>(() => GgufTensorCodec.ToFloat(26, new byte[16], 4));

        Assert.Contains("i32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFloat_RowNotAMultipleOfTheBlock_RefusesNamingTheType()
    {
        var error = Assert.Throws<ArgumentException>(() => GgufTensorCodec.FromFloat(GgufTensorType.Q4_K, new float[64], rowLength: 64));

        Assert.Contains("Q4_K", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadTensorAsF32_Q8Tensor_GivesNearlyTheWrittenValues()
    {
        var path = Path.Combine(Path.GetTempPath(), "agent-tests", $"q8-{Guid.NewGuid():N}.gguf");
        var values = Enumerable.Range(0, 128).Select(i => MathF.Sin(i)).ToArray();
        using (var writer = new GgufWriter())
        {
            writer.Set("general.architecture", "llama").AddTensor("w", values, [64, 2], GgufTensorType.Q8_0);
            writer.WriteToFile(path);
        }

        using var file = GgufFile.Open(path);

        Assert.Equal("q8_0", file.Tensors.Single().Type);
        Assert.True(values.Zip(file.ReadTensorAsF32("w")).Max(p => Math.Abs(p.First - p.Second)) < 1e-2);
        File.Delete(path);
    }
}
