using Agent.Sandbox.Internal;

namespace Agent.Sandbox.Tests.Internal;

public sealed class SandboxNamesTests
{
    [Theory]
    [InlineData("cli-0123456789ab")]
    [InlineData("3f2b1c0d9e8f4a7b6c5d4e3f2a1b0c9d")]
    [InlineData("run with spaces/and:colons")]
    [InlineData("läuft-ünïcode")]
    public void RunOf_NameOfRun_GivesTheRunBack(string runId)
    {
        Assert.True(SandboxNames.CarriesRun(runId));
        var name = SandboxNames.ForRun(runId);
        Assert.Matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", name);
        Assert.Equal(runId, SandboxNames.RunOf("/" + name));
    }

    [Fact]
    public void RunOf_PoolOrForeignOrTooLongName_Null()
    {
        var tooLong = new string('x', 65) + " ";
        Assert.False(SandboxNames.CarriesRun(tooLong));
        Assert.Null(SandboxNames.RunOf(SandboxNames.ForRun(tooLong)));
        Assert.Null(SandboxNames.RunOf(SandboxNames.ForPool()));
        Assert.Null(SandboxNames.RunOf("my-kept-sandbox"));
        Assert.Null(SandboxNames.RunOf("agent-sbx-hex.zz.01234567"));
    }
}
