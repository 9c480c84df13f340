using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Agent.Decoding;
using Agent.Llama;
using Agent.TestSupport;

namespace Agent.Decoding.Benchmarks;

/// <summary>
/// Decode throughput, side by side in one run, same model, same context, same prompt:
/// (a) llama.cpp's own greedy sampler chain, no monitoring; (b) the TagDecoder with 2 banned + 2 monitored tags.
/// (a) runs on a context created with exactly the options the decoder gives its own (<see cref="TagDecoder.ContextOptionsFor"/>),
/// and the repeats of (a) and (b) alternate (a b a b ...) so that load on the machine hits both alike; medians are reported.
/// Then aggregate tokens/s of the TagDecoder for N = 1, 2, 4, 8 parallel sequences, the per-token phase profile of (b),
/// and the cost of greedy selection and of the log-sum-exp on one row.
/// Usage: dotnet run -c Release --project tests/Agent.Decoding.Benchmarks -- [--tokens 128] [--repeats 5] [--model PATH]
///        [--threads N] [--only tiny|128k|model] [--no-parallel] [--mode-head]
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
        var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        var parallel = !args.Contains("--no-parallel");
        var modeHead = args.Contains("--mode-head");
        var classifierWeights = args.SkipWhile(a => a != "--classifier").Skip(1).FirstOrDefault();
        var stepTokens = Arg(args, "--step-tokens", 32);
        var shapes = args.SkipWhile(a => a != "--shapes").Skip(1).FirstOrDefault()?.Split(',') ?? [];
        LlamaRuntime.EnsureInitialized();
        Console.WriteLine($"threads {threads}, {tokens} tokens per generation, median of {repeats} interleaved runs (a b a b ...), {RuntimeInfo()}");

        var models = new List<(string Key, string Name, Func<string> Path)>
        {
            ("tiny", "tiny test model (vocab 281)", () => TinyModel.DefaultPath),
            ("128k", "random model, vocab 128k", () => TinyModel.Get(new TinyModelSpec { VocabSize = 128_000 })),
        };
        if (extraModel is not null)
        {
            models.Add(("model", Path.GetFileName(extraModel), () => extraModel));
        }

        foreach (var shape in shapes)
        {
            var spec = StepShapes.Spec(shape);
            models.Add((shape, $"random model, {shape} shape", () => TinyModel.Get(spec)));
        }

        if (classifierWeights is not null)
        {
            using var classifier = Agent.Monitoring.TagClassifier.Load(classifierWeights, threads: threads);
            foreach (var (key, name, path) in models.Where(m => only is null || m.Key == only || shapes.Contains(m.Key)))
            {
                using var model = LlamaModel.Load(path());
                StepShapes.ClassifierShare(name, model, classifier, threads, stepTokens, repeats);
            }

            return 0;
        }

        foreach (var (key, name, path) in models.Where(m => only is null || m.Key == only))
        {
            using var model = LlamaModel.Load(path());
            var options = new DecoderOptions { ContextSize = 512, MaxParallel = 1, LookaheadSequences = 1, Threads = threads, BatchSize = 512, CollectProfile = true };
            var contextOptions = TagDecoder.ContextOptionsFor(options);
            using var context = LlamaContext.Create(model, contextOptions);
            using var single = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Tags()), options);
            var baseline = new BaselineProfile();
            var (a, b) = Interleaved(repeats, () => Baseline(model, context, tokens, baseline), () => Monitored(single, tokens), () =>
            {
                baseline.Reset();
                single.TakeProfile();
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-34} (a) llama greedy chain {a,9:F1} tok/s   (b) tag decoder 2 banned + 2 monitored {b,9:F1} tok/s   b/a {b / a:F3}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-34} both on one context shape: n_ctx {contextOptions.ContextSize}, n_seq_max {contextOptions.MaxSequences}, unified KV, n_batch {contextOptions.BatchSize}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-34} (a) {baseline.TokensPerRun:F0} tokens, prompt {baseline.PromptMicros:F0} us per generation; us/token: all {baseline.TotalMicros:F1}, decode {baseline.DecodeMicros:F1}, sample {baseline.SampleMicros:F1}"));
            var profile = single.TakeProfile();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-34} (b) us/token: {string.Join(", ", Enum.GetValues<DecoderPhase>().Select(p => $"{p} {profile.MicrosecondsPerToken(p):F1}"))}"));

            if (modeHead)
            {
                ModeHeadCost(model, path(), options, repeats, tokens, single);
            }

            if (parallel)
            {
                var tagSet = TagSet.Resolve(model.Vocab, Tags());
                using var decoder = TagDecoder.Create(model, tagSet, new DecoderOptions { ContextSize = 512, MaxParallel = 8, Threads = threads, BatchSize = 512 });
                foreach (var n in new[] { 1, 2, 4, 8 })
                {
                    var rate = await MedianAsync(repeats, () => ParallelAsync(decoder, n, tokens)).ConfigureAwait(false);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"",-34} parallel N={n}: {rate,9:F1} tok/s aggregate"));
                }
            }

            SelectionCost(model.Vocab.Count);
        }

        return 0;
    }

    /// <summary>
    /// (b) against (c): the same decoder without and with a mode head (the model's own when it has one, else a random
    /// head beside a copy), alternating, medians: what reading p(mode2) per token costs.
    /// </summary>
    private static void ModeHeadCost(LlamaModel model, string modelPath, DecoderOptions options, int repeats, int tokens, TagDecoder single)
    {
        var head = ModeHead.TryLoad(modelPath);
        if (head is null)
        {
            var copy = Path.Combine(Directory.CreateTempSubdirectory("agent-bench-head-").FullName, "model.gguf");
            File.Copy(modelPath, copy);
            var random = new Random(3);
            ModeHead.Write(copy, [.. Enumerable.Range(0, 2 * model.EmbeddingSize).Select(_ => (float)(random.NextDouble() - 0.5))], [0f, 0f]);
            head = ModeHead.TryLoad(copy)!;
        }

        var withHeadOptions = new DecoderOptions
        {
            ContextSize = options.ContextSize, MaxParallel = options.MaxParallel, LookaheadSequences = options.LookaheadSequences, Threads = options.Threads,
            BatchSize = options.BatchSize, CollectProfile = true, ModeHead = head,
        };
        using var withHead = TagDecoder.Create(model, TagSet.Resolve(model.Vocab, Tags()), withHeadOptions);
        var (b, c) = Interleaved(repeats, () => Monitored(single, tokens), () => Monitored(withHead, tokens), () =>
        {
            single.TakeProfile();
            withHead.TakeProfile();
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-34} mode head: (b) without {b,9:F1} tok/s   (c) with, p(mode2) per token {c,9:F1} tok/s   per-token cost {((b / c) - 1) * 100:F2}% of a step"));

        // A long prompt (as an agent's transcript is) decoded with only its last row output, on a context without and one
        // with embeddings: what a head adds to a prefill.
        const int PromptTokens = 480;
        var text = string.Concat(Enumerable.Repeat("<mode1>result shell.run exit 0 stdout total 12 notes.txt report.md ", 40));
        var prompt = model.Vocab.Tokenize(text).Take(PromptTokens).ToArray();
        using var plain = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 512, BatchSize = 512, Threads = options.Threads });
        using var embedding = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 512, BatchSize = 512, Threads = options.Threads, Embeddings = true });
        using var batch = new LlamaBatch(512);
        double Prefill(LlamaContext context, bool everyRow = false)
        {
            context.ClearMemory();
            batch.Clear();
            for (var i = 0; i < prompt.Length; i++)
            {
                batch.Add(prompt[i], new LlamaPos(i), new LlamaSeqId(0), everyRow || i == prompt.Length - 1);
            }

            var watch = Stopwatch.StartNew();
            context.Decode(batch);
            return prompt.Length / watch.Elapsed.TotalSeconds;
        }

        var (p, q) = Interleaved(repeats, () => Prefill(plain), () => Prefill(embedding), () => { });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-34} prefill of {prompt.Length} tokens, last row output: without embeddings {p,9:F0} tok/s   with {q,9:F0} tok/s   cost {((p / q) - 1) * 100:F2}%"));

        // What llama.cpp computes when embeddings stay on for the whole batch (every row output), as before the context
        // switched them on only for the rows that want output.
        var (r, t) = Interleaved(repeats, () => Prefill(plain), () => Prefill(embedding, everyRow: true), () => { });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-34} the same with every row output (embeddings on for the whole batch): without {r,9:F0} tok/s   with {t,9:F0} tok/s   cost {((r / t) - 1) * 100:F2}%"));
    }

    private static TagOptions Tags() => TestTags.Default();

    /// <summary>(a) llama.cpp alone: decode one token at a time, sample with its greedy chain straight from the context.</summary>
    private static double Baseline(LlamaModel model, LlamaContext context, int count, BaselineProfile profile)
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
        var promptTicks = watch.Elapsed.Ticks;
        var position = prompt.Length;
        var produced = 0;
        long decodeTicks = 0, sampleTicks = 0;
        while (produced < count)
        {
            var t0 = Stopwatch.GetTimestamp();
            var token = sampler.Sample(context, batch.Count - 1);
            produced++;
            if (model.Vocab.IsEndOfGeneration(token))
            {
                break;
            }

            batch.Clear();
            batch.Add(token, new LlamaPos(position++), new LlamaSeqId(0), true);
            var t1 = Stopwatch.GetTimestamp();
            context.Decode(batch);
            sampleTicks += t1 - t0;
            decodeTicks += Stopwatch.GetTimestamp() - t1;
        }

        var rate = produced / watch.Elapsed.TotalSeconds;
        profile.Add(produced, decodeTicks, sampleTicks, TimeSpan.FromTicks(promptTicks), watch.Elapsed);
        return rate;
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
        const int Rounds = 2000;
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
        watch.Restart();
        for (var i = 0; i < Rounds; i++)
        {
            // The straightforward four passes (max, subtract, exp, sum) through a scratch row, for comparison.
            var max = TensorPrimitives.Max<float>(logits);
            TensorPrimitives.Subtract(logits, max, scratch);
            TensorPrimitives.Exp(scratch, scratch);
            lse += max + Math.Log(TensorPrimitives.Sum<float>(scratch));
        }

        var fourPassMicros = watch.Elapsed.TotalMicroseconds / Rounds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-34} greedy on a masked row of {vocab}: llama chain {llamaMicros:F1} us, IndexOfMax {ownMicros:F1} us; temptation log-sum-exp (with argmax) {softmaxMicros:F1} us, four-pass TensorPrimitives {fourPassMicros:F1} us ({sink + (int)lse % 2 * 0})"));
    }

    /// <summary>Runs <paramref name="a"/> and <paramref name="b"/> alternately (after one warm-up each) and returns their medians.</summary>
    private static (double A, double B) Interleaved(int repeats, Func<double> a, Func<double> b, Action afterWarmUp)
    {
        // Warm up until the JIT has settled (tier-1 code for the managed side of (b)): at least two pairs and two seconds.
        var warmUp = Stopwatch.StartNew();
        for (var i = 0; i < 2 || warmUp.Elapsed < TimeSpan.FromSeconds(2); i++)
        {
            a();
            b();
        }

        afterWarmUp();
        var aValues = new double[repeats];
        var bValues = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            aValues[i] = a();
            bValues[i] = b();
        }

        if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") == "1")
        {
            Console.WriteLine("  runs a: " + string.Join(", ", aValues.Select(v => v.ToString("F1", CultureInfo.InvariantCulture))));
            Console.WriteLine("  runs b: " + string.Join(", ", bValues.Select(v => v.ToString("F1", CultureInfo.InvariantCulture))));
        }

        return (Median(aValues), Median(bValues));
    }

    private static double Median(double[] values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static async Task<double> MedianAsync(int repeats, Func<Task<double>> run)
    {
        await run().ConfigureAwait(false);
        var values = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            values.Add(await run().ConfigureAwait(false));
        }

        return Median([.. values]);
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string RuntimeInfo() => $"{Environment.ProcessorCount} cores, .NET {Environment.Version}";

    /// <summary>Where (a)'s time per token goes: llama_decode, and the greedy chain with the batch refill.</summary>
    private sealed class BaselineProfile
    {
        private long _tokens;
        private long _decodeTicks;
        private long _sampleTicks;
        private long _runs;
        private TimeSpan _prompt;
        private TimeSpan _total;

        public double TokensPerRun => _runs == 0 ? 0 : (double)_tokens / _runs;

        public double TotalMicros => _tokens == 0 ? 0 : _total.TotalMicroseconds / _tokens;

        public double DecodeMicros => _tokens == 0 ? 0 : Stopwatch.GetElapsedTime(0, _decodeTicks).TotalMicroseconds / _tokens;

        public double SampleMicros => _tokens == 0 ? 0 : Stopwatch.GetElapsedTime(0, _sampleTicks).TotalMicroseconds / _tokens;

        public double PromptMicros => _runs == 0 ? 0 : _prompt.TotalMicroseconds / _runs;

        public void Reset()
        {
            _tokens = _decodeTicks = _sampleTicks = _runs = 0;
            _prompt = _total = TimeSpan.Zero;
        }

        public void Add(long tokens, long decodeTicks, long sampleTicks, TimeSpan prompt, TimeSpan total)
        {
            _total += total;
            _runs++;
            _prompt += prompt;
            _tokens += tokens;
            _decodeTicks += decodeTicks;
            _sampleTicks += sampleTicks;
        }
    }
}
