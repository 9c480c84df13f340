namespace Agent.Decoding;

/// <summary>Why a generation ended.</summary>
public enum StopReason
{
    /// <summary>Still running.</summary>
    None,

    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,

    /// <summary>A stop string was produced.</summary>
    StopString,

    /// <summary>The token limit was reached.</summary>
    MaxTokens,

    /// <summary>The sequence filled its context.</summary>
    ContextFull,

    /// <summary>The caller cancelled it.</summary>
    Cancelled,
}
