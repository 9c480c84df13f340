using System.Buffers.Binary;
using System.Text;
using Agent.Llama.Gguf;
using Agent.TestSupport;

namespace Agent.Llama.Tests.Gguf;

/// <summary>Trained and never-trained tokens told apart by their rows, read from the file in each type the reader decodes (every type ggml converts to F32).</summary>
public sealed class GgufTokenRowsTests
{
    private const int Width = 64;
    private const int Rows = 8;
    private const int TypeF32 = 0, TypeF16 = 1, TypeQ4_0 = 2, TypeQ8_0 = 8, TypeQ4_K = 12, TypeQ6_K = 14, TypeI32 = 26, TypeBF16 = 30;

    [Fact]
    public void Inspect_TinyModelWithZeroedTagRows_TagIsUntrainedAndOthersTrained()
    {
        var path = TinyModel.Get(new TinyModelSpec { UntrainedTokens = ["<deceit>"] });
        using var model = LlamaModel.Load(path);
        var deceit = model.Vocab.FindToken("<deceit>")!.Value.Value;
        var powerseeking = model.Vocab.FindToken("<powerseeking>")!.Value.Value;

        var states = GgufTokenRows.Inspect(path, [deceit, powerseeking]);

        Assert.Equal(TokenRowState.Untrained, states[deceit]);
        Assert.Equal(TokenRowState.Trained, states[powerseeking]);
    }

    [Theory]
    [InlineData(TypeF32)]
    [InlineData(TypeF16)]
    [InlineData(TypeBF16)]
    [InlineData(TypeQ8_0)]
    [InlineData(TypeQ4_0, 64)]
    [InlineData(TypeQ4_K, 256)]
    [InlineData(TypeQ6_K, 256)]
    public void Inspect_EachDecodedType_FindsZeroTinyAndConstantRows(int type, int width = Width)
    {
        var path = WriteEmbedding(type, width);

        var states = GgufTokenRows.Inspect(path, [.. Enumerable.Range(0, Rows)]);

        // Row 3 is zero, row 5 a thousand times smaller than the rest, row 6 constant; the others are ordinary.
        Assert.Equal(
            [TokenRowState.Trained, TokenRowState.Trained, TokenRowState.Trained, TokenRowState.Untrained, TokenRowState.Trained, TokenRowState.Untrained, TokenRowState.Untrained, TokenRowState.Trained],
            Enumerable.Range(0, Rows).Select(r => states[r]));
    }

    [Fact]
    public void Inspect_TypeGgmlCannotDecode_IsUnknown()
    {
        // I32 is a valid GGUF tensor type that ggml has no conversion to F32 for.
        var path = WriteEmbedding(TypeI32);

        Assert.All(GgufTokenRows.Inspect(path, [0, 3]).Values, s => Assert.Equal(TokenRowState.Unknown, s));
    }

    private static float Value(int row, int column) => row switch
    {
        3 => 0f,
        5 => 0.001f * MathF.Sin(column + 1),
        6 => 0.25f,
        _ => MathF.Sin((row * 31) + column + 1),
    };

    /// <summary>A GGUF v3 file with one tensor, <c>token_embd.weight</c> [width, 8], in <paramref name="type"/>.</summary>
    private static string WriteEmbedding(int type, int width = Width)
    {
        var data = new List<byte>();
        for (var r = 0; r < Rows; r++)
        {
            var row = Enumerable.Range(0, width).Select(c => Value(r, c)).ToArray();
            data.AddRange(Encode(type, row));
        }

        var header = new List<byte>();
        header.AddRange("GGUF"u8.ToArray());
        header.AddRange(BitConverter.GetBytes(3u));
        header.AddRange(BitConverter.GetBytes(1UL)); // tensors
        header.AddRange(BitConverter.GetBytes(0UL)); // metadata
        var name = Encoding.UTF8.GetBytes("token_embd.weight");
        header.AddRange(BitConverter.GetBytes((ulong)name.Length));
        header.AddRange(name);
        header.AddRange(BitConverter.GetBytes(2u));
        header.AddRange(BitConverter.GetBytes((ulong)width));
        header.AddRange(BitConverter.GetBytes((ulong)Rows));
        header.AddRange(BitConverter.GetBytes((uint)type));
        header.AddRange(BitConverter.GetBytes(0UL));
        while (header.Count % 32 != 0)
        {
            header.Add(0);
        }

        var path = Path.Combine(Path.GetTempPath(), $"agent-rows-{Environment.ProcessId}-{type}-{width}.gguf");
        File.WriteAllBytes(path, [.. header, .. data]);
        return path;
    }

    private static byte[] Encode(int type, float[] row)
    {
        var bytes = new List<byte>();
        switch (type)
        {
            case TypeF32:
                foreach (var v in row)
                {
                    bytes.AddRange(BitConverter.GetBytes(v));
                }

                break;
            case TypeF16:
                foreach (var v in row)
                {
                    bytes.AddRange(BitConverter.GetBytes((Half)v));
                }

                break;
            case TypeBF16:
                foreach (var v in row)
                {
                    bytes.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >> 16)));
                }

                break;
            case TypeQ8_0:
                for (var b = 0; b < row.Length / 32; b++)
                {
                    var block = row.AsSpan(b * 32, 32);
                    var max = 0f;
                    foreach (var v in block)
                    {
                        max = MathF.Max(max, MathF.Abs(v));
                    }

                    var scale = max / 127f;
                    bytes.AddRange(BitConverter.GetBytes((Half)scale));
                    foreach (var v in block)
                    {
                        bytes.Add(unchecked((byte)(sbyte)(scale == 0 ? 0 : MathF.Round(v / scale))));
                    }
                }

                break;
            case TypeI32: // the content does not matter, the reader refuses the type
                bytes.AddRange(new byte[row.Length * 4]);
                break;
            default: // the quantised types, by ggml's own reference quantizer (as llama-quantize without an importance matrix)
                bytes.AddRange(GgufTensorCodec.FromFloat((GgufTensorType)type, row, row.Length));
                break;
        }

        return [.. bytes];
    }
}
