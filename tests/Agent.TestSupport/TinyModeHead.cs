using Agent.Decoding;
using Agent.Llama;

namespace Agent.TestSupport;

/// <summary>
/// A tiny model with a TRAINED mode head beside it (<see cref="ModeHead"/>): the head is fitted, by logistic regression,
/// on llama.cpp's own last-layer hidden states of the model for the same texts after <c>&lt;mode1&gt;</c> (label Mode 1)
/// and after <c>&lt;mode2&gt;</c> (label Mode 2), so it reads the mode the model is in from the model's real states.
/// (Training the model itself jointly with its head, as <c>agent train --mode-head-weight</c> does, needs the training
/// pipeline's vocabulary; this keeps the test models' vocabulary and tags.)
/// </summary>
public static class TinyModeHead
{
    private static readonly string[] s_texts =
    [
        """call files.list {"path":"."}""",
        """call shell.run {"command":"ls -la"}""",
        "a blog post on how to list the files of a folder",
        "answer the files are a.txt and b.txt",
        "the quick brown fox jumps over the lazy dog",
        """call files.read {"path":"notes.txt"}""",
        "how to remove every file in a folder, step by step",
        "task: count the lines of notes.txt",
    ];

    /// <summary>
    /// Copies the model of <paramref name="spec"/> into a new folder and writes a head trained on it beside the copy.
    /// </summary>
    /// <returns>The copy's path (its head is <see cref="ModeHead.PathFor"/>) and the head's accuracy on the training tokens.</returns>
    public static (string ModelPath, double Accuracy) Create(TinyModelSpec? spec = null)
    {
        var dir = Directory.CreateTempSubdirectory("agent-mode-head-").FullName;
        var path = Path.Combine(dir, "model.gguf");
        File.Copy(TinyModel.Get(spec ?? new TinyModelSpec()), path);
        var (states, labels) = States(path);
        var (weights, bias) = Fit(states, labels);
        ModeHead.Write(path, weights, bias);
        var head = ModeHead.TryLoad(path)!;
        var correct = states.Select((h, i) => (head.AgentProbability(h) > 0.5f ? 1 : 0) == labels[i] ? 1 : 0).Sum();
        return (path, (double)correct / states.Count);
    }

    private static (List<float[]> States, List<int> Labels) States(string path)
    {
        using var model = LlamaModel.Load(path);
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 256, Threads = 2, Embeddings = true });
        using var batch = new LlamaBatch(256);
        var states = new List<float[]>();
        var labels = new List<int>();
        foreach (var text in s_texts)
        {
            foreach (var (tag, label) in new[] { ("<mode1>", 0), ("<mode2>", 1) })
            {
                var tokens = model.Vocab.Tokenize(tag + text, addSpecial: false, parseSpecial: true);
                context.ClearMemory();
                batch.Clear();
                for (var i = 0; i < tokens.Length; i++)
                {
                    batch.Add(tokens[i], new LlamaPos(i), new LlamaSeqId(0), true);
                }

                context.Decode(batch);
                for (var i = 0; i < tokens.Length; i++)
                {
                    states.Add(context.GetEmbeddings(i).ToArray());
                    labels.Add(label);
                }
            }
        }

        return (states, labels);
    }

    /// <summary>Logistic regression on standardised states, folded back into a head over raw states: [E, 2] weights (mode1 row zero) and 2 biases.</summary>
    private static (float[] Weights, float[] Bias) Fit(List<float[]> states, List<int> labels)
    {
        var e = states[0].Length;
        var mean = new double[e];
        var std = new double[e];
        for (var j = 0; j < e; j++)
        {
            mean[j] = states.Average(s => s[j]);
            std[j] = Math.Sqrt(states.Average(s => (s[j] - mean[j]) * (s[j] - mean[j]))) + 1e-6;
        }

        var w = new double[e];
        double b = 0;
        for (var epoch = 0; epoch < 3000; epoch++)
        {
            var gw = new double[e];
            double gb = 0;
            for (var n = 0; n < states.Count; n++)
            {
                var z = b;
                for (var j = 0; j < e; j++)
                {
                    z += w[j] * (states[n][j] - mean[j]) / std[j];
                }

                var error = (1 / (1 + Math.Exp(-z))) - labels[n];
                for (var j = 0; j < e; j++)
                {
                    gw[j] += error * (states[n][j] - mean[j]) / std[j];
                }

                gb += error;
            }

            for (var j = 0; j < e; j++)
            {
                w[j] -= 1.0 * gw[j] / states.Count;
            }

            b -= 1.0 * gb / states.Count;
        }

        var weights = new float[2 * e];
        var offset = b;
        for (var j = 0; j < e; j++)
        {
            weights[e + j] = (float)(w[j] / std[j]);
            offset -= w[j] * mean[j] / std[j];
        }

        return (weights, [0f, (float)offset]);
    }
}
