namespace Agent.Training.Tokenization;

/// <summary>GPT-2's bytes-to-unicode table: every byte gets a printable character, so byte strings are plain text.</summary>
internal static class ByteLevel
{
    /// <summary>Character of each byte.</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>Byte of each character (index = char), -1 when not a byte character.</summary>
    public static readonly short[] CharToByte = BuildReverse();

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                dst[i] = ByteToChar[src[i]];
            }
        });
    }

    private static char[] Build()
    {
        // bs = printable ranges '!'..'~', '¡'..'¬', '®'..'ÿ' keep their code; the other bytes map to 256 + n in byte order.
        var map = new char[256];
        var kept = new bool[256];
        for (int b = '!'; b <= '~'; b++)
        {
            kept[b] = true;
        }

        for (int b = 0xA1; b <= 0xAC; b++)
        {
            kept[b] = true;
        }

        for (int b = 0xAE; b <= 0xFF; b++)
        {
            kept[b] = true;
        }

        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            map[b] = kept[b] ? (char)b : (char)(256 + n++);
        }

        return map;
    }

    private static short[] BuildReverse()
    {
        var rev = new short[512];
        Array.Fill(rev, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            rev[ByteToChar[b]] = (short)b;
        }

        return rev;
    }
}
