using Agent.Llama;

namespace Agent.TestSupport;

/// <summary>Reference computations straight through the binding, for tests to compare higher layers against.</summary>
public static class ModelProbe
{
    /// <summary>The logits after the last token of <paramref name="prompt"/>, from a fresh context.</summary>
    public static float[] LastLogits(LlamaModel model, string prompt)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, Threads = 2 });
        using var batch = new LlamaBatch(256);
        var tokens = model.Vocab.Tokenize(prompt);
        for (var i = 0; i < tokens.Length; i++)
        {
            batch.Add(tokens[i], new LlamaPos(i), new LlamaSeqId(0), i == tokens.Length - 1);
        }

        context.Decode(batch);
        return context.GetLogits(tokens.Length - 1).ToArray();
    }
}
