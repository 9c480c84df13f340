using System.Text;

namespace Agent.Llama.Gguf;

/// <summary>
/// GPT-2's reversible byte-to-character mapping, in which a byte-level BPE vocabulary (<c>tokenizer.ggml.model = gpt2</c>)
/// spells its tokens: printable bytes stand for themselves, the others map to U+0100 and up (space becomes 'Ġ').
/// </summary>
public static class Gpt2ByteEncoding
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    /// <summary>The character that spells one byte.</summary>
    public static char Encode(byte value) => ByteToChar[value];

    /// <summary>Spells bytes as a vocabulary string.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            builder.Append(ByteToChar[b]);
        }

        return builder.ToString();
    }

    /// <summary>Spells UTF-8 text as a vocabulary string.</summary>
    public static string EncodeText(string text) => Encode(Encoding.UTF8.GetBytes(text));

    /// <summary>Turns a vocabulary string back into bytes.</summary>
    /// <exception cref="ArgumentException">A character is not part of the mapping.</exception>
    public static byte[] Decode(string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        var bytes = new byte[encoded.Length];
        for (var i = 0; i < encoded.Length; i++)
        {
            if (!CharToByte.TryGetValue(encoded[i], out bytes[i]))
            {
                throw new ArgumentException($"Character U+{(int)encoded[i]:X4} at {i} is not a GPT-2 byte character.", nameof(encoded));
            }
        }

        return bytes;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }

        return table;
    }
}
