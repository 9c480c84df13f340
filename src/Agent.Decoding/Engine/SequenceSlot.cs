using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// The scheduler's per-generation state: which sequence of the context it decodes on, its tokens (prompt and generated)
/// and how many of them the context has seen. Touched only by whoever holds the engine.
/// </summary>
internal sealed class SequenceSlot(LlamaToken[] promptTokens)
{
    /// <summary>The sequence id in the context, or -1 while the generation waits for one.</summary>
    public int Sequence { get; set; } = -1;

    /// <summary>Prompt and generated tokens; the next token is decoded at position <c>Tokens.Count</c>.</summary>
    public List<int> Tokens { get; } = [.. promptTokens.Select(t => t.Value)];

    /// <summary>Tokens already decoded into the context.</summary>
    public int Fed { get; set; }

    /// <summary>Tokens not yet decoded into the context.</summary>
    public int Pending => Tokens.Count - Fed;

    /// <summary>
    /// Takes back every token from <paramref name="position"/> on, and the context's cell of the token before it too, so
    /// the next step re-decodes that token and gets the logits at <paramref name="position"/> again.
    /// </summary>
    public void TakeBack(int position, LlamaContext context)
    {
        Tokens.RemoveRange(position, Tokens.Count - position);
        Fed = Math.Min(Fed, position - 1);
        context.RemoveTokens(new LlamaSeqId(Sequence), new LlamaPos(position - 1), new LlamaPos(-1));
    }
}
