namespace Agent.Llama.Tests;

public class SmokeTests
{
    [Fact]
    public void Token_Null_IsMinusOne() => Assert.Equal(-1, LlamaToken.Null.Value);
}
