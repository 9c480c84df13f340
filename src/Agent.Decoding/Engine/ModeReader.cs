using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// The per-token mode signal: reads the model's <see cref="ModeHead"/> on the last layer's hidden state of the row the
/// temptation probe reads (the state the next token is predicted from), giving p(Mode 2) per token step beside the
/// temptation. Without a head it reads nothing and the decoder runs exactly as before (no embeddings are extracted).
/// </summary>
internal sealed class ModeReader(LlamaContext context, ModeHead? head)
{
    /// <summary>Whether the model has a head.</summary>
    public bool Enabled => head is not null;

    /// <summary>p(Mode 2) at the row, or null without a head.</summary>
    public double? Read(in TokenRow row) => head is null ? null : head.AgentProbability(context.GetEmbeddings(row.BatchIndex));
}
