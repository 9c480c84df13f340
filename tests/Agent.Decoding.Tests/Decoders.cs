using Agent.Llama;
using Agent.TestSupport;

namespace Agent.Decoding.Tests;

/// <summary>Builds decoders over tiny models for the decoder tests.</summary>
internal static class Decoders
{
    public static TagOptions DefaultTags(params string[] extraBehaviours) => TestTags.Default(extraBehaviours);

    /// <summary>A decoder over a tiny model; the caller disposes both.</summary>
    public static (LlamaModel Model, TagDecoder Decoder) Create(TinyModelSpec? spec = null, TagOptions? tags = null, DecoderOptions? options = null)
    {
        var model = LlamaModel.Load(TinyModel.Get(spec ?? new TinyModelSpec()));
        var tagSet = TagSet.Resolve(model.Vocab, tags ?? DefaultTags());
        return (model, TagDecoder.Create(model, tagSet, options ?? new DecoderOptions { ContextSize = 256, MaxParallel = 4, Threads = 2 }));
    }
}
