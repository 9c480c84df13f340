namespace Agent.Decoding.Transcripts;

/// <summary>Factory of the transcript format.</summary>
public static class TranscriptFormat
{
    /// <summary>The transcript format (stateless and thread-safe).</summary>
    public static ITranscriptFormat Default { get; } = new TranscriptCodec();
}
