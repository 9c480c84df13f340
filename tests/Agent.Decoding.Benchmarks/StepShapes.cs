using System.Diagnostics;
using System.Globalization;
using Agent.Decoding;
using Agent.Llama;
using Agent.Monitoring;
using Agent.TestSupport;

namespace Agent.Decoding.Benchmarks;

/// <summary>
/// The gate's second signal against a model step (issue 18's "no more than 5% added time per model step"), side by side
/// in one run: per model, a model step (the tag decoder writing a line of <c>--step-tokens</c> tokens after a prompt, as
/// the runtime decodes a step) alternating with the classifier scoring a call (its task cached, as in a run: one
/// encoding) and an answer after a new tool result (two encodings: the result and the answer). Medians. Models: the
/// shipped one (<c>--model</c>), and random models in the shapes of real small GGUFs (<c>--shapes smollm2-135m,...</c>):
/// the time of a step depends on the shape, not on the weights, so a random model of a real shape times a real step.
/// </summary>
internal static class StepShapes
{
    /// <summary>Numbers every scored text of the process, so no model's round finds another's texts in the classifier's cache.</summary>
    private static int s_round;

    /// <summary>Real model shapes (from their published configurations), at F32.</summary>
    public static TinyModelSpec Spec(string name) => name switch
    {
        // HuggingFaceTB/SmolLM2-135M-Instruct: 30 layers, width 576, 9 heads (3 KV), feed-forward 1536, vocabulary 49,152.
        "smollm2-135m" => new TinyModelSpec { VocabSize = 49_152, EmbeddingSize = 576, LayerCount = 30, HeadCount = 9, HeadCountKv = 3, FeedForwardSize = 1536, ContextLength = 512 },
        // HuggingFaceTB/SmolLM2-360M-Instruct: 32 layers, width 960, 15 heads (5 KV), feed-forward 2560, vocabulary 49,152.
        "smollm2-360m" => new TinyModelSpec { VocabSize = 49_152, EmbeddingSize = 960, LayerCount = 32, HeadCount = 15, HeadCountKv = 5, FeedForwardSize = 2560, ContextLength = 512 },
        _ => throw new ArgumentException($"unknown shape '{name}': use smollm2-135m or smollm2-360m"),
    };

    public static void ClassifierShare(string name, LlamaModel model, ITagClassifier classifier, int threads, int stepTokens, int repeats)
    {
        var tags = TestTags.Default();
        var options = new DecoderOptions { ContextSize = 512, MaxParallel = 1, LookaheadSequences = 1, Threads = threads, BatchSize = 512 };
        using var decoder = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, tags), options);
        const string Task = "Count the log files under /var/log and tell me which is the largest.";
        const string Prompt = "<mode1>task " + Task + "\n<mode2>call shell.run {\"command\":\"ls -la /var/log\"}\n<mode1>result shell.run exit=0 stdout total 12 syslog auth.log kern.log\n<mode2>";
        var steps = new List<double>();
        var calls = new List<double>();
        var answers = new List<double>();
        for (var i = 0; i < repeats + 1; i++)
        {
            // Every round's texts are new, so nothing but the task comes from the classifier's cache.
            var round = ++s_round;
            var clock = Stopwatch.StartNew();
            var result = decoder.GenerateAsync(new GenerationRequest(Prompt) { MaxTokens = stepTokens, Constraints = DecodingConstraints.None.Ban("deceit").Ban("powerseeking") }).GetAwaiter().GetResult();
            var step = clock.Elapsed.TotalMilliseconds;
            var call = string.Create(CultureInfo.InvariantCulture, $"call shell.run {{\"command\":\"find /var/log -name '*.log' -size +{round}k | xargs ls -la\"}}");
            clock.Restart();
            classifier.Score(ClassifierInput.ForCall(Task, call));
            var callMs = clock.Elapsed.TotalMilliseconds;
            var output = string.Join("\n", Enumerable.Range(0, 12).Select(k => string.Create(CultureInfo.InvariantCulture, $"-rw-r----- 1 syslog adm {(k + 1) * 1733 * round} Dec  2 1{k % 10}:0{round % 10} file{k}.log")));
            var answer = string.Create(CultureInfo.InvariantCulture, $"There are 12 log files; the largest is file11.log at {12 * 1733 * round} bytes.");
            clock.Restart();
            classifier.Score(ClassifierInput.ForAnswer(new ToolResultSummary(0, output, string.Empty), answer, Task));
            var answerMs = clock.Elapsed.TotalMilliseconds;
            if (i == 0)
            {
                continue; // warm-up: the first generation sizes buffers, the first scores encode the task
            }

            if (result.Trace.Entries.Length < stepTokens / 2)
            {
                Console.WriteLine($"{name}: the step stopped after {result.Trace.Entries.Length} tokens ({result.StopReason}); step times are of shorter steps");
            }

            steps.Add(step);
            calls.Add(callMs);
            answers.Add(answerMs);
        }

        var s = Median(steps);
        var c = Median(calls);
        var a = Median(answers);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-34} model step ({stepTokens} tokens) {s,8:F1} ms   classifier: call {c,6:F1} ms ({c / s * 100,5:F1}% of a step)   answer after a new result {a,6:F1} ms ({a / s * 100,5:F1}%)   {model.Vocab.Count} vocab, {new FileInfo(model.Path).Length >> 20} MiB"));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
