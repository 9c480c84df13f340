using System.Text.Json.Nodes;
using Agent.Decoding.Transcripts;

namespace Agent.Decoding.Tests.Transcripts;

public sealed class ToolCallTests
{
    [Fact]
    public void Parse_UnorderedNestedKeys_SortsKeysCompactly()
    {
        var call = ToolCall.Parse("svc.deploy", "{ \"z\": 1, \"a\": { \"y\": [ 1, 2.50 ], \"b\": null } }");

        Assert.Equal("{\"a\":{\"b\":null,\"y\":[1,2.50]},\"z\":1}", call.ArgumentsJson);
    }

    [Fact]
    public void Constructor_SameArgumentsInAnyOrder_AreEqual()
    {
        var a = new ToolCall("files.write", new JsonObject { ["path"] = "/a", ["content"] = "x" });
        var b = new ToolCall("files.write", new JsonObject { ["content"] = "x", ["path"] = "/a" });

        Assert.Equal(a, b);
    }

    [Fact]
    public void Parse_InvalidName_ThrowsTranscriptFormatException()
    {
        var ex = Assert.Throws<TranscriptFormatException>(() => ToolCall.Parse("rm -rf", "{}"));

        Assert.Contains("rm -rf", ex.Message, StringComparison.Ordinal);
    }
}
