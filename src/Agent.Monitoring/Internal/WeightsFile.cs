using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agent.Monitoring.Internal;

/// <summary>
/// The classifier weights file (<c>models/classifier.bin</c>):
/// <code>
/// "AGTCLS01"                      8 bytes, magic and format version
/// header length                   int32 little-endian
/// header                          UTF-8 JSON: {"encoder","dimension","maxTokens","features","seed","heads":[{"tag","kind","threshold","l2","hidden"}]}
/// per head, in header order       float32 LE: mean[F], scale[F], weights[F], bias   (F = 4 × dimension + agreement features
///                                 + earlier-call features; a file of the older layout without "earlier-calls-v1" has none,
///                                 and its heads read the first F values of the current features, which is that layout)
///                                 or, with "hidden": H > 0, mean[F], scale[F], hidden weights[H × F], hidden bias[H], weights[H], bias
///                                 (a file without "hidden" is a logistic one, as written before hidden layers existed)
/// SHA-256 of all the bytes above  32 bytes
/// </code>
/// A file whose checksum does not match is refused: a flipped bit never loads silently.
/// </summary>
internal static class WeightsFile
{
    private static readonly byte[] s_magic = "AGTCLS01"u8.ToArray();

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        WriteIndented = false,
    };

    public static void Write(string path, WeightsHeader header, IReadOnlyList<LogisticHead> heads)
    {
        using var buffer = new MemoryStream();
        buffer.Write(s_magic);
        var json = JsonSerializer.SerializeToUtf8Bytes(header, s_json);
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(four, json.Length);
        buffer.Write(four);
        buffer.Write(json);
        foreach (var head in heads)
        {
            WriteFloats(buffer, head.Mean);
            WriteFloats(buffer, head.Scale);
            if (head.HiddenWeights is not null)
            {
                WriteFloats(buffer, head.HiddenWeights);
                WriteFloats(buffer, head.HiddenBias!);
            }

            WriteFloats(buffer, head.Weights);
            WriteFloats(buffer, [head.Bias]);
        }

        buffer.Write(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, buffer.ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    /// <exception cref="ClassifierWeightsException">Missing, truncated, corrupt, or not this format.</exception>
    public static (WeightsHeader Header, List<LogisticHead> Heads) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw Error(path, $"The classifier weights file '{path}' does not exist.");
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < s_magic.Length + 4 + 32 || !bytes.AsSpan(0, s_magic.Length).SequenceEqual(s_magic))
        {
            throw Error(path, $"'{path}' is not a classifier weights file (it does not start with AGTCLS01).");
        }

        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
        {
            throw Error(path, $"The classifier weights file '{path}' is corrupt: its SHA-256 checksum does not match its content.");
        }

        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(body[s_magic.Length..]);
        var offset = s_magic.Length + 4;
        if (headerLength <= 0 || offset + headerLength > body.Length)
        {
            throw Error(path, $"The classifier weights file '{path}' has a header length ({headerLength}) outside the file.");
        }

        WeightsHeader header;
        try
        {
            header = JsonSerializer.Deserialize<WeightsHeader>(body.Slice(offset, headerLength), s_json)
                ?? throw new JsonException("null header");
        }
        catch (JsonException e)
        {
            throw Error(path, $"The classifier weights file '{path}' has an unreadable header: {e.Message}");
        }

        offset += headerLength;
        if (PairFeatures.Length(header.Dimension, header.Features) is not { } features)
        {
            // Before the size check: weights of an unknown layout have another length, and this is the reason to say.
            throw Error(path, $"The classifier weights file '{path}' reads the features '{header.Features}'; this program reads only '{string.Join("', '", PairFeatures.Layouts)}' (it was made by another version).");
        }

        if (header.Heads.FirstOrDefault(h => h.Hidden is < 0 or > 4096) is { } odd)
        {
            throw Error(path, $"The classifier weights file '{path}' gives the head '{odd.Tag}' {odd.Hidden} hidden units (0 to 4096 are possible).");
        }

        var expected = offset + (header.Heads.Sum(h => h.Hidden == 0 ? (3 * features) + 1 : (2 * features) + (h.Hidden * (features + 2)) + 1) * 4L);
        if (header.Dimension <= 0 || expected != body.Length)
        {
            throw Error(path, $"The classifier weights file '{path}' holds {body.Length - offset} bytes of weights; {header.Heads.Count} heads of dimension {header.Dimension} ({string.Join(", ", header.Heads.Select(h => $"{h.Tag}: {h.Hidden} hidden units"))}) need {expected - offset}.");
        }

        var heads = new List<LogisticHead>();
        foreach (var h in header.Heads)
        {
            var mean = ReadFloats(body, ref offset, features);
            var scale = ReadFloats(body, ref offset, features);
            var hiddenWeights = h.Hidden > 0 ? ReadFloats(body, ref offset, h.Hidden * features) : null;
            var hiddenBias = h.Hidden > 0 ? ReadFloats(body, ref offset, h.Hidden) : null;
            var weights = ReadFloats(body, ref offset, h.Hidden > 0 ? h.Hidden : features);
            var bias = ReadFloats(body, ref offset, 1)[0];
            heads.Add(new LogisticHead(h.Tag, h.Kind, mean, scale, hiddenWeights, hiddenBias, weights, bias, h.Threshold, h.L2));
        }

        return (header, heads);
    }

    public static ClassifierWeightsException Error(string path, string message) =>
        new($"{message} Make one with 'agent classifier train' (it writes Classifier:WeightsPath, by default models/classifier.bin).") { FilePath = path };

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        stream.Write(bytes);
    }

    private static float[] ReadFloats(ReadOnlySpan<byte> body, ref int offset, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(offset + (i * 4))..]);
        }

        offset += count * 4;
        return values;
    }
}

/// <summary>The JSON header of a weights file.</summary>
internal sealed record WeightsHeader(string Encoder, int Dimension, int MaxTokens, string Features, int Seed, IReadOnlyList<WeightsHeadHeader> Heads);

/// <summary>One head in the header.</summary>
internal sealed record WeightsHeadHeader(string Tag, ActionKind Kind, double Threshold, double L2, int Hidden = 0);
