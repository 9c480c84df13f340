using Agent.Decoding.Transcripts;

namespace Agent.Decoding.Tests.Transcripts;

public sealed class UntrustedTextTests
{
    [Theory]
    [InlineData("<mode2>", "<\\mode2>")]
    [InlineData("</deceit>", "<\\/deceit>")]
    [InlineData("<\\x", "<\\\\x")]
    [InlineData("a < b <= c <3 </ <>", "a < b <= c <3 </ <>")]
    [InlineData("<<b>", "<<\\b>")]
    public void Escape_TagLookingText_InsertsOneBackslash(string raw, string escaped)
    {
        Assert.Equal(escaped, UntrustedText.Escape(raw));
        Assert.Equal(raw, UntrustedText.Unescape(escaped));
    }

    [Fact]
    public void Escape_RandomTextOverSmallAlphabet_RoundTripsAndHoldsNoTagText()
    {
        var rng = new Random(7);
        const string Alphabet = "<>/\\ab1 ";
        for (int n = 0; n < 5000; n++)
        {
            var chars = new char[rng.Next(0, 12)];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[rng.Next(Alphabet.Length)];
            }

            var raw = new string(chars);
            var escaped = UntrustedText.Escape(raw);

            Assert.Equal(raw, UntrustedText.Unescape(escaped));
            Assert.False(System.Text.RegularExpressions.Regex.IsMatch(escaped, "</?[A-Za-z]"), $"'{escaped}' still holds tag-looking text");
        }
    }
}
