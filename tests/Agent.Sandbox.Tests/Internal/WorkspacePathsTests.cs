using Agent.Sandbox.Internal;

namespace Agent.Sandbox.Tests.Internal;

public sealed class WorkspacePathsTests
{
    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("a/..")]
    public void Segments_DotDot_Refused(string path) =>
        Assert.Throws<SandboxPathException>(() => WorkspacePaths.Segments(path, allowRoot: true));

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/workspace/a")]
    public void Segments_Absolute_Refused(string path) =>
        Assert.Contains("absolute", Assert.Throws<SandboxPathException>(() => WorkspacePaths.Segments(path, allowRoot: true)).Message, StringComparison.Ordinal);

    [Fact]
    public void Segments_NulOrBackslash_Refused()
    {
        Assert.Throws<SandboxPathException>(() => WorkspacePaths.Segments("a\0b", allowRoot: true));
        Assert.Throws<SandboxPathException>(() => WorkspacePaths.Segments("a\\..\\b", allowRoot: true));
    }

    [Fact]
    public void Segments_RedundantSeparatorsAndDots_Normalised() =>
        Assert.Equal(["a", "b", "c.txt"], WorkspacePaths.Segments("./a//b/./c.txt", allowRoot: false));

    [Fact]
    public void Segments_WorkspaceItselfWhenFileRequired_Refused() =>
        Assert.Throws<SandboxPathException>(() => WorkspacePaths.Segments(".", allowRoot: false));

    [Theory]
    [InlineData("/workspace/a", true)]
    [InlineData("/workspace", true)]
    [InlineData("/workspace2", false)]
    [InlineData("/workspace/../etc", false)]
    [InlineData("/etc", false)]
    public void IsInside_ContainerPath_ComparesNormalisedPrefix(string path, bool inside) =>
        Assert.Equal(inside, WorkspacePaths.IsInside("/workspace", path));
}
