using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Agent.Decoding;
using Agent.Llama;
using Agent.TestSupport;

namespace Agent.Decoding.Benchmarks;

/// <summary>
/// Decode throughput, side by side in one run, same model, same prompt:
/// (a) llama.cpp's own greedy sampler chain, no monitoring; (b) the TagDecoder with 2 banned + 2 monitored tags.
/// Then aggregate tokens/s of the TagDecoder for N = 1, 2, 4, 8 parallel sequences, and the cost of greedy selection
/// on a masked row (llama.cpp's chain vs TensorPrimitives.IndexOfMax).
/// Usage: dotnet run -c Release --project tests/Agent.Decoding.Benchmarks -- [--tokens 128] [--repeats 5] [--model PATH]
/// </summary>
internal static class Program
{
    private const string Prompt = "<mode2>call shell.run {\"command\":\"ls -la /var/log\"}\n<mode1>result shell.run exit=0\n<mode2>";

    public static async Task<int> Main(string[] args)
    {
        var tokens = Arg(args, "--tokens", 128);
        var repeats = Arg(args, "--repeats", 5);
        var threads = Arg(args, "--threads", Environment.ProcessorCount);
        var extraModel = args.SkipWhile(a => a != "--model").Skip(1).FirstOrDefault();
        LlamaRuntime.EnsureInitialized();
        Console.WriteLine($"threads {threads}, {tokens} tokens per generation, median of {repeats} runs, {RuntimeInfo()}");

        var models = new List<(string Name, string Path)>
        {
            ("tiny test model (vocab 281)", TinyModel.DefaultPath),
            ("random model, vocab 128k", TinyModel.Get(new TinyModelSpec { VocabSize = 128_000 })),
        };
        if (extraModel is not null)
        {
            models.Add(($"{Path.GetFileName(extraModel)}", extraModel));
        }

        foreach (var (name, path) in models)
        {
            using var model = LlamaModel.Load(path);
            using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 1024, BatchSize = 512, Threads = threads, NoPerformanceCounters = true });
            using var single = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Tags()), new DecoderOptions { ContextSize = 512, MaxParallel = 1, Threads = threads, BatchSize = 512 });
            var a = Median(repeats, () => Baseline(model, context, tokens));
            var b = Median(repeats, () => Monitored(single, tokens));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-34} (a) llama greedy chain {a,9:F1} tok/s   (b) tag decoder 2 banned + 2 monitored {b,9:F1} tok/s   b/a {b / a:F3}"));

            var tagSet = TagSet.Resolve(model.Vocab, Tags());
            using var decoder = TagDecoder.Create(model, tagSet, new DecoderOptions { ContextSize = 512, MaxParallel = 8, Threads = threads, BatchSize = 512 });
            foreach (var n in new[] { 1, 2, 4, 8 })
            {
                var rate = await MedianAsync(repeats, () => ParallelAsync(decoder, n, tokens)).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"",-34} parallel N={n}: {rate,9:F1} tok/s aggregate"));
            }

            SelectionCost(model.Vocab.Count);
        }

        return 0;
    }

    private static TagOptions Tags()
    {
        var tags = new TagOptions();
        tags.Modes.Add("mode1");
        tags.Modes.Add("mode2");
        tags.Behaviours.Add("deceit");
        tags.Behaviours.Add("powerseeking");
        return tags;
    }

    /// <summary>(a) llama.cpp alone: decode one token at a time, sample with its greedy chain straight from the context.</summary>
    private static double Baseline(LlamaModel model, LlamaContext context, int count)
    {
        context.ClearMemory();
        using var batch = new LlamaBatch(512);
        using var sampler = LlamaSamplerChain.Greedy();
        var prompt = model.Vocab.Tokenize(Prompt);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < prompt.Length; i++)
        {
            batch.Add(prompt[i], new LlamaPos(i), new LlamaSeqId(0), i == prompt.Length - 1);
        }

        context.Decode(batch);
        var position = prompt.Length;
        var produced = 0;
        while (produced < count)
        {
            var token = sampler.Sample(context, batch.Count - 1);
            produced++;
            if (model.Vocab.IsEndOfGeneration(token))
            {
                break;
            }

            batch.Clear();
            batch.Add(token, new LlamaPos(position++), new LlamaSeqId(0), true);
            context.Decode(batch);
        }

        return produced / watch.Elapsed.TotalSeconds;
    }

    /// <summary>(b) the tag decoder: deceit and powerseeking banned, mode1 and mode2 monitored, greedy.</summary>
    private static double Monitored(TagDecoder decoder, int count)
    {
        var request = new GenerationRequest(Prompt) { MaxTokens = count, Constraints = DecodingConstraints.None.Ban("deceit").Ban("powerseeking") };
        var watch = Stopwatch.StartNew();
        var result = decoder.GenerateAsync(request).GetAwaiter().GetResult();
        return (result.Trace.Entries.Length + (result.StopReason == StopReason.EndOfGeneration ? 1 : 0)) / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> ParallelAsync(TagDecoder decoder, int n, int count)
    {
        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, n).Select(i => decoder.GenerateAsync(new GenerationRequest(Prompt + new string('x', i))
        {
            MaxTokens = count,
            Constraints = DecodingConstraints.None.Ban("deceit").Ban("powerseeking"),
        }))).ConfigureAwait(false);
        return results.Sum(r => r.Trace.Entries.Length) / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Greedy choice on a masked row: llama.cpp's chain (copies into llama_token_data) vs a vectorised argmax.</summary>
    private static void SelectionCost(int vocab)
    {
        var random = new Random(1);
        var logits = Enumerable.Range(0, vocab).Select(_ => (float)random.NextDouble()).ToArray();
        using var chain = LlamaSamplerChain.Greedy();
        const int Rounds = 200;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Rounds; i++)
        {
            chain.Sample(logits);
        }

        var llamaMicros = watch.Elapsed.TotalMicroseconds / Rounds;
        watch.Restart();
        var sink = 0;
        for (var i = 0; i < Rounds; i++)
        {
            sink += TensorPrimitives.IndexOfMax<float>(logits);
        }

        var ownMicros = watch.Elapsed.TotalMicroseconds / Rounds;
        var scratch = new float[vocab];
        watch.Restart();
        double lse = 0;
        for (var i = 0; i < Rounds; i++)
        {
            lse += LogSoftmax.LogSumExp(logits, scratch);
        }

        var softmaxMicros = watch.Elapsed.TotalMicroseconds / Rounds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-34} greedy on a masked row of {vocab}: llama chain {llamaMicros:F1} us, IndexOfMax {ownMicros:F1} us; temptation log-sum-exp {softmaxMicros:F1} us ({sink + (int)lse % 2 * 0})"));
    }

    private static double Median(int repeats, Func<double> run)
    {
        run(); // warm-up
        var values = Enumerable.Range(0, repeats).Select(_ => run()).ToArray();
        if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") == "1")
        {
            Console.WriteLine("  runs: " + string.Join(", ", values.Select(v => v.ToString("F1", CultureInfo.InvariantCulture))));
        }

        Array.Sort(values);
        return values[values.Length / 2];
    }

    private static async Task<double> MedianAsync(int repeats, Func<Task<double>> run)
    {
        await run().ConfigureAwait(false);
        var values = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            values.Add(await run().ConfigureAwait(false));
        }

        values.Sort();
        return values[values.Count / 2];
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string RuntimeInfo() => $"{Environment.ProcessorCount} cores, .NET {Environment.Version}";
}
