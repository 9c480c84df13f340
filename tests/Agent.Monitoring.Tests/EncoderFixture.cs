using Agent.Monitoring;

namespace Agent.Monitoring.Tests;

/// <summary>One real all-MiniLM-L6-v2 encoder (from the NuGet package the build copies) shared by the tests.</summary>
public sealed class EncoderFixture : IDisposable
{
    public EncoderFixture() => Encoder = TextEncoder.Load(threads: 1);

    public ITextEncoder Encoder { get; }

    public void Dispose() => Encoder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EncoderTests : ICollectionFixture<EncoderFixture>
{
    public const string Name = "encoder";
}
