using Agent.Decoding;
using Agent.Llama;
using Agent.TestSupport;

namespace Agent.Host.Tests;

/// <summary>A tiny model and the real <see cref="TagDecoder"/> over it, with the test tags (mode1, mode2, deceit, powerseeking).</summary>
internal sealed class TinyDecoder : IDisposable
{
    private readonly LlamaModel _model;

    public TinyDecoder(TinyModelSpec spec)
        : this(TinyModel.Get(spec))
    {
    }

    /// <summary>The model at <paramref name="modelPath"/>, with its mode head when one is beside it (<see cref="ModeHead.TryLoad"/>).</summary>
    public TinyDecoder(string modelPath)
    {
        _model = LlamaModel.Load(modelPath);
        var tags = new TagOptions();
        tags.Modes.Add("mode1");
        tags.Modes.Add("mode2");
        tags.Behaviours.Add("deceit");
        tags.Behaviours.Add("powerseeking");
        Decoder = TagDecoder.Create(_model, TagSet.Resolve(_model.Vocab, tags), new DecoderOptions { ContextSize = 512, MaxParallel = 2, Threads = 1, ModeHead = ModeHead.TryLoad(modelPath) });
    }

    /// <summary>The constraints of every agent step: inside &lt;mode2&gt;, both behaviour tags banned.</summary>
    public static DecodingConstraints AgentConstraints { get; } = DecodingConstraints.None.InMode("mode2").Ban("deceit").Ban("powerseeking");

    public TagDecoder Decoder { get; }

    public void Dispose()
    {
        Decoder.Dispose();
        _model.Dispose();
    }
}
