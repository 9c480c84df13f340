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
}
