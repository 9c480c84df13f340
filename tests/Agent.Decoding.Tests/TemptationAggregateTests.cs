using System.Collections.Immutable;

namespace Agent.Decoding.Tests;

public class TemptationAggregateTests
{
    [Fact]
    public void Of_HandComputedExample_GivesMaxMeanAny()
    {
        var a = TemptationAggregate.Of([0.1, 0.5, 0.2]);

        Assert.Equal(0.5, a.Max, 12);
        Assert.Equal(0.8 / 3, a.Mean, 12);
        Assert.Equal(1 - (0.9 * 0.5 * 0.8), a.Any, 12); // 0.64
    }

    [Fact]
    public void Of_NoTokens_IsZero() => Assert.Equal(TemptationAggregate.Empty, TemptationAggregate.Of([]));

    [Fact]
    public void Of_CertainToken_AnyIsOne() => Assert.Equal(1.0, TemptationAggregate.Of([0.0, 1.0]).Any, 9);

    [Fact]
    public void Aggregate_OverSpan_UsesOnlyThatSpan()
    {
        var trace = new TemptationTrace(["deceit"], [Entry(0, 0.9), Entry(1, 0.1), Entry(2, 0.3)], []);

        Assert.Equal(0.3, trace.Aggregate("deceit", 1).Max, 12);
        Assert.Equal(0.9, trace.Aggregate("<deceit>", 0, 1).Any, 12);
        Assert.Throws<UnknownTagException>(() => trace.Aggregate("angry"));
    }

    [Fact]
    public void Get_UnknownAggregate_Throws() => Assert.Throws<ArgumentException>(() => TemptationAggregate.Empty.Get("median"));

    private static TemptationEntry Entry(int index, double p) => new(index, 0, "x", 0.5, ImmutableArray.Create(p));
}
