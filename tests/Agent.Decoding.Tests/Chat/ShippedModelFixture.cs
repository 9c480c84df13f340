using Agent.Llama;

namespace Agent.Decoding.Tests.Chat;

/// <summary>The shipped default model (models/agent-default.gguf) and a real decoder over it, shared by a test class.</summary>
public sealed class ShippedModelFixture : IDisposable
{
    public ShippedModelFixture()
    {
        Model = LlamaModel.Load(Path);
        var tags = new TagOptions();
        tags.Modes.Add("mode1");
        tags.Modes.Add("mode2");
        tags.Behaviours.Add("deceit");
        tags.Behaviours.Add("powerseeking");
        Decoder = TagDecoder.Create(Model, TagSet.Resolve(Model.Vocab, tags), new DecoderOptions { ContextSize = 512, MaxParallel = 2, Threads = 2 });
    }

    public static string Path
    {
        get
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(System.IO.Path.Combine(root, "Agent.sln")))
            {
                root = System.IO.Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("Agent.sln not found above the test folder.");
            }

            return System.IO.Path.Combine(root, "models", "agent-default.gguf");
        }
    }

    public LlamaModel Model { get; }

    public TagDecoder Decoder { get; }

    /// <summary>What the runtime decodes under: the agent mode, both behaviours banned.</summary>
    public static DecodingConstraints AgentConstraints { get; } = DecodingConstraints.None.InMode("mode2").Ban("deceit").Ban("powerseeking");

    public void Dispose()
    {
        Decoder.Dispose();
        Model.Dispose();
    }
}
