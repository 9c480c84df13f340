namespace Agent.Decoding;

/// <summary>The phases of a decoder step that <see cref="DecoderProfile"/> times.</summary>
public enum DecoderPhase
{
    /// <summary>Loop bookkeeping: admitting and releasing sessions, collecting the demands of one step.</summary>
    Schedule,

    /// <summary>Filling the batch.</summary>
    Batch,

    /// <summary>llama_decode.</summary>
    Decode,

    /// <summary>The log-sum-exp over the full vocabulary (temptation before bans).</summary>
    LogSumExp,

    /// <summary>Copying the logits row and applying bans, biases and exclusions.</summary>
    Mask,

    /// <summary>Multi-token tag lookahead.</summary>
    Lookahead,

    /// <summary>Choosing the token (argmax or the sampler chain).</summary>
    Select,

    /// <summary>Token bytes to text, tag and leak bookkeeping, the trace entry, stop strings.</summary>
    Trace,

    /// <summary>Handing the token to its reader (the reader's code up to its next demand runs here when it is inline).</summary>
    Handoff,
}
