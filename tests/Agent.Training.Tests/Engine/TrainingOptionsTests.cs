using Agent.Training.Engine;

namespace Agent.Training.Tests.Engine;

public class TrainingOptionsTests
{
    [Fact]
    public void LearningRateAt_WarmupThenCosine_RisesLinearlyAndDecaysToTheMinimum()
    {
        var o = new TrainingOptions { LearningRate = 1e-3f, MinLearningRate = 1e-4f, WarmupSteps = 10, MaxSteps = 110 };
        Assert.Equal(1e-4f, o.LearningRateAt(0), 6);
        Assert.Equal(5e-4f, o.LearningRateAt(4), 6);
        Assert.Equal(1e-3f, o.LearningRateAt(10), 6);
        Assert.Equal(5.5e-4f, o.LearningRateAt(60), 6);
        Assert.Equal(1e-4f, o.LearningRateAt(110), 6);
        Assert.Equal(1e-4f, o.LearningRateAt(500), 6);
    }

    [Fact]
    public void Init_BadValues_ThrowNamingTheProperty()
    {
        Assert.Equal("BatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { BatchSize = 0 }).ParamName);
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { LearningRate = 0f }).ParamName);
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { LearningRate = float.NaN }).ParamName);
        Assert.Equal("WindowLength", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { WindowLength = 1 }).ParamName);
        Assert.Equal("Beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Beta2 = 1f }).ParamName);
        Assert.Equal("WeightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { WeightDecay = 2f }).ParamName);
    }
}
