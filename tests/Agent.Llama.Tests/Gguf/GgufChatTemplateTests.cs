using Agent.Llama.Gguf;
using Agent.TestSupport;

namespace Agent.Llama.Tests.Gguf;

public class GgufChatTemplateTests
{
    [Fact]
    public void ReadChatTemplate_MetadataOnly_AgreesWithTheWholeFile()
    {
        var withTemplate = TinyModel.Get(ChatTemplates.ChatMlModel);
        using (var file = GgufFile.Open(withTemplate))
        {
            Assert.Equal(ChatTemplates.ChatMl, file.ChatTemplate);
            Assert.Equal(file.ChatTemplate, GgufFile.ReadChatTemplate(withTemplate));
        }

        Assert.Null(GgufFile.ReadChatTemplate(TinyModel.DefaultPath));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("  \n")]
    [InlineData(42u)]
    public void ReadChatTemplate_NoneBlankOrNotAString_IsNull(object? value)
    {
        var path = Path.Combine(Path.GetTempPath(), "agent-tests", Guid.NewGuid() + ".gguf");
        using (var writer = new GgufWriter())
        {
            writer.Set("test.name", "x").AddTensor("weights", [1f, 2f], [2]);
            switch (value)
            {
                case string s:
                    writer.Set(GgufFile.ChatTemplateKey, s);
                    break;
                case uint u:
                    writer.Set(GgufFile.ChatTemplateKey, u);
                    break;
            }

            writer.WriteToFile(path);
        }

        Assert.Null(GgufFile.ReadChatTemplate(path));
        using var file = GgufFile.Open(path);
        Assert.Null(file.ChatTemplate);
    }

    [Fact]
    public void ReadChatTemplate_NotGguf_SaysSo()
    {
        var path = Path.Combine(Path.GetTempPath(), "agent-tests", Guid.NewGuid() + ".gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "not a model");

        var e = Assert.Throws<GgufException>(() => GgufFile.ReadChatTemplate(path));
        Assert.Contains("not a readable GGUF file", e.Message, StringComparison.Ordinal);
    }
}
