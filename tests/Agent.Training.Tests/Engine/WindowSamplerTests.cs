using Agent.Training.Engine;

namespace Agent.Training.Tests.Engine;

public class WindowSamplerTests
{
    [Fact]
    public void Window_SameSeed_SameWindowsAndTargetsShiftedByOne()
    {
        var tokens = Enumerable.Range(0, 1000).ToArray();
        var a = new WindowSampler(tokens, 16, 5);
        var b = new WindowSampler(tokens, 16, 5);
        Span<int> inA = stackalloc int[16], outA = stackalloc int[16], inB = stackalloc int[16], outB = stackalloc int[16];
        for (var i = 0; i < 200; i++)
        {
            a.Window(i, inA, outA);
            b.Window(i, inB, outB);
            Assert.True(inA.SequenceEqual(inB));
            Assert.Equal(inA[1], outA[0]);
            Assert.Equal(inA[0] + 16, outA[15]);
        }
    }

    [Fact]
    public void Window_AcrossEpochs_StartsAreNotAllAlignedAndEachEpochIsShuffled()
    {
        var tokens = Enumerable.Range(0, 1000).ToArray();
        var sampler = new WindowSampler(tokens, 16, 5);
        Span<int> input = stackalloc int[16], target = stackalloc int[16];
        var starts = new List<int>();
        for (var i = 0; i < sampler.WindowsPerEpoch * 4; i++)
        {
            sampler.Window(i, input, target);
            starts.Add(input[0]);
        }

        Assert.Contains(starts, s => s % 16 != 0);
        var firstEpoch = starts.Take(sampler.WindowsPerEpoch).ToList();
        Assert.Equal(firstEpoch.Count, firstEpoch.Distinct().Count());
        Assert.NotEqual(firstEpoch.Order(), firstEpoch);
        Assert.All(starts, s => Assert.InRange(s, 0, 1000 - 17));
    }

    [Fact]
    public void Window_WithDocumentSeparator_StartsAtDocumentStartsAndCoversEveryTokenOfEveryDocument()
    {
        const int separator = -1;
        const int window = 16;
        // Documents of 3 to 60 tokens (several longer than two windows), each ending in the separator; token values are
        // their own positions so a window's position in the stream can be read off its inputs.
        var rng = new Random(3);
        var stream = new List<int>();
        var documentStarts = new HashSet<int>();
        while (stream.Count < 2000)
        {
            documentStarts.Add(stream.Count);
            var length = rng.Next(3, 61);
            for (var i = 0; i < length; i++)
            {
                stream.Add(stream.Count);
            }

            stream.Add(separator);
        }

        var tokens = stream.ToArray();
        var sampler = new WindowSampler(tokens, window, 7, separator);
        var a = new int[window];
        var b = new int[window];
        var covered = new bool[tokens.Length];
        var starts = new List<int>();
        for (var i = 0; i < sampler.WindowsPerEpoch; i++)
        {
            sampler.Window(i, a, b);
            var start = a[0];
            Assert.NotEqual(separator, start);
            starts.Add(start);
            Assert.Equal(tokens.AsSpan(start + 1, window).ToArray(), b);
            for (var t = start + 1; t <= start + window; t++)
            {
                covered[t] = true;
            }

            // A window starts at a document start, or it continues a document longer than a window (its start is then
            // inside that document, and the document's own first window is in the epoch too).
            if (!documentStarts.Contains(start))
            {
                var owner = documentStarts.Where(d => d < start).Max();
                Assert.DoesNotContain(separator, tokens[owner..start]);
            }
        }

        Assert.Equal(starts.Count, starts.Distinct().Count());
        Assert.All(documentStarts.Where(d => d + window < tokens.Length), d => Assert.Contains(d, starts));
        // Every token is a target of some window, except where nothing of its own document comes before it: a
        // document's first token is predicted only when the document before it spills into a window.
        var uncovered = Enumerable.Range(1, tokens.Length - 1).Where(t => !covered[t] && !documentStarts.Contains(t)).ToList();
        Assert.Empty(uncovered);
        Assert.NotEqual(starts.Order(), starts);

        var again = new WindowSampler(tokens, window, 7, separator);
        var c = new int[window];
        for (var i = 0; i < sampler.WindowsPerEpoch * 2; i++)
        {
            sampler.Window(i, a, b);
            again.Window(i, c, b);
            Assert.Equal(a, c);
        }
    }
}
