using Agent.Training.Evaluation;

namespace Agent.Training.Tests.Evaluation;

public class AurocTests
{
    [Fact]
    public void Compute_PerfectSeparation_IsOne() => Assert.Equal(1.0, Auroc.Compute([0.9, 0.8], [0.1, 0.2, 0.3]));

    [Fact]
    public void Compute_Reversed_IsZero() => Assert.Equal(0.0, Auroc.Compute([0.1], [0.5, 0.9]));

    [Fact]
    public void Compute_HandExample_CountsTiesAsHalf()
    {
        // pairs (p, n): (0.5,0.5)=0.5, (0.5,0.2)=1, (0.3,0.5)=0, (0.3,0.2)=1  => 2.5 / 4
        Assert.Equal(0.625, Auroc.Compute([0.5, 0.3], [0.5, 0.2]), 12);
    }

    [Fact]
    public void Compute_NoNegatives_Throws() => Assert.Throws<ArgumentException>(() => Auroc.Compute([0.5], []));
}
