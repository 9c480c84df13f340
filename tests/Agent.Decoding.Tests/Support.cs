using Agent.Llama;

namespace Agent.Llama.Tests;

/// <summary>Reference computations straight through the binding, to check the decoder against.</summary>
internal static class Support
{
    public static float[] Logits(LlamaModel model, string prompt)
    {
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
