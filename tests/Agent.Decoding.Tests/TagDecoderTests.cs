using Agent.TestSupport;

namespace Agent.Decoding.Tests;

public class TagDecoderTests
{
    private static readonly TinyModelSpec FavoursDeceit = new() { FavouredToken = "<deceit>" };

    [Fact]
    public async Task Generate_BannedTagIsMostLikely_ProducesNextBestTokenAndTracesPreBanProbability()
    {
        var (model, decoder) = Decoders.Create(FavoursDeceit);
        using (model)
        using (decoder)
        {
            var free = await decoder.GenerateAsync(new GenerationRequest("<mode2>hello") { MaxTokens = 1 });
            Assert.Equal("<deceit>", free.Text); // unconstrained, the model wants the tag

            var banned = await decoder.GenerateAsync(new GenerationRequest("<mode2>hello") { MaxTokens = 4, Constraints = DecodingConstraints.None.Ban("deceit") });

            Assert.DoesNotContain("<deceit>", banned.Text, StringComparison.Ordinal);
            Assert.Equal(4, banned.Trace.Entries.Length);
            Assert.All(banned.Trace.Entries, e => Assert.True(e.Probabilities[banned.Trace.Tags.IndexOf("deceit")] > 0.9));
            Assert.True(banned.Trace.Aggregate("deceit").Any > 0.99);

            // The produced token is the best one once the tag is gone: score mode sees the same pre-ban row.
            var logits = ModelProbe.LastLogits(model, "<mode2>hello");
            var deceit = model.Vocab.FindToken("<deceit>")!.Value.Value;
            logits[deceit] = float.NegativeInfinity;
            Assert.Equal(Array.IndexOf(logits, logits.Max()), banned.Trace.Entries[0].TokenId);
        }
    }

    [Fact]
    public async Task Generate_RequiredMode_OtherModeNeverAppearsAndItsTemptationIsRecorded()
    {
        var (model, decoder) = Decoders.Create(new TinyModelSpec { FavouredToken = "<mode1>" });
        using (model)
        using (decoder)
        {
            var result = await decoder.GenerateAsync(new GenerationRequest("the cat sat") { MaxTokens = 6, Constraints = DecodingConstraints.None.InMode("mode2") });

            Assert.DoesNotContain("<mode1>", result.Text, StringComparison.Ordinal);
            Assert.True(result.Trace.Aggregate("mode1").Max > 0.9);
            Assert.Equal("<mode2>the cat sat", decoder.ApplyConstraintsToPrompt("the cat sat", DecodingConstraints.None.InMode("mode2")));
            Assert.Equal("<mode1>story<mode2>", decoder.ApplyConstraintsToPrompt("<mode1>story", DecodingConstraints.None.InMode("mode2")));
            Assert.Equal("<mode1>a<mode2>b", decoder.ApplyConstraintsToPrompt("<mode1>a<mode2>b", DecodingConstraints.None.InMode("mode2")));
        }
    }

    [Fact]
    public async Task UpdateConstraints_MidGeneration_TakesEffectAtNextToken()
    {
        var (model, decoder) = Decoders.Create(FavoursDeceit);
        using (model)
        using (decoder)
        {
            var session = decoder.Start(new GenerationRequest("<mode2>hi") { MaxTokens = 6, Constraints = DecodingConstraints.None.Ban("deceit") });
            var texts = new List<string>();
            await foreach (var token in session.ReadAllAsync())
            {
                texts.Add(token.Text);
                if (texts.Count == 3)
                {
                    session.UpdateConstraints(c => c.Allow("deceit"));
                }
            }

            Assert.All(texts.Take(3), t => Assert.NotEqual("<deceit>", t));
            Assert.Equal("<deceit>", texts[3]);
        }
    }

    [Fact]
    public async Task ReadAllAsync_OnlySession_StepsInlineAndHonoursConstraintChangeBetweenTwoTokens()
    {
        var (model, decoder) = Decoders.Create(FavoursDeceit, options: new DecoderOptions { ContextSize = 256, MaxParallel = 4, Threads = 2, CollectProfile = true });
        using (model)
        using (decoder)
        {
            var session = decoder.Start(new GenerationRequest("<mode2>hi") { MaxTokens = 6, Constraints = DecodingConstraints.None.Ban("deceit") });
            var texts = new List<string>();
            var threads = new List<string?>();
            await foreach (var token in session.ReadAllAsync())
            {
                texts.Add(token.Text);
                threads.Add(Thread.CurrentThread.Name);
                if (texts.Count == 2)
                {
                    session.UpdateConstraints(c => c.Allow("deceit"));
                }
                else if (texts.Count == 4)
                {
                    session.UpdateConstraints(c => c.Ban("deceit"));
                }
            }

            // Alone on the decoder, every token was stepped on the reader's own thread, never handed to the loop thread.
            Assert.DoesNotContain("tag-decoder", threads);
            Assert.All(texts.Take(2), t => Assert.NotEqual("<deceit>", t));
            Assert.Equal("<deceit>", texts[2]);
            Assert.Equal("<deceit>", texts[3]);
            Assert.All(texts.Skip(4), t => Assert.NotEqual("<deceit>", t));
            Assert.Equal(6, decoder.TakeProfile().Tokens);
        }
    }

    [Fact]
    public async Task ReadAllAsync_SlowReaderOnTheLoopPath_GetsNoTokenAheadOfItsDemand()
    {
        var (model, decoder) = Decoders.Create(FavoursDeceit);
        using (model)
        using (decoder)
        {
            // Two sessions: neither steps inline, both go through the loop thread.
            var other = decoder.Start(new GenerationRequest("<mode2>other") { MaxTokens = 40 });
            var otherRun = Task.Run(async () =>
            {
                await foreach (var _ in other.ReadAllAsync())
                {
                    await Task.Delay(1);
                }
            });
            var session = decoder.Start(new GenerationRequest("<mode2>hi") { MaxTokens = 6, Constraints = DecodingConstraints.None.Ban("deceit") });
            var texts = new List<string>();
            await foreach (var token in session.ReadAllAsync())
            {
                texts.Add(token.Text);
                await Task.Delay(30); // the reader is busy: the decoder must not produce its next token meanwhile
                if (texts.Count == 3)
                {
                    session.UpdateConstraints(c => c.Allow("deceit"));
                }
            }

            await otherRun;
            Assert.All(texts.Take(3), t => Assert.NotEqual("<deceit>", t));
            Assert.Equal("<deceit>", texts[3]);
        }
    }

    [Fact]
    public async Task ParallelSessions_AfterAnInlineGeneration_AreBatchedAndMatchEachAlone()
    {
        var (model, decoder) = Decoders.Create();
        using (model)
        using (decoder)
        {
            var prompts = new[] { "<mode2>alpha", "<mode2>beta beta", "<mode2>gamma" };
            var alone = new List<string>();
            foreach (var prompt in prompts)
            {
                alone.Add((await decoder.GenerateAsync(new GenerationRequest(prompt) { MaxTokens = 10 })).Text);
            }

            var together = await Task.WhenAll(prompts.Select(p => Task.Run(() => decoder.GenerateAsync(new GenerationRequest(p) { MaxTokens = 10 }))));
            Assert.Equal(alone, together.Select(r => r.Text));
            var again = await decoder.GenerateAsync(new GenerationRequest(prompts[0]) { MaxTokens = 10 });
            Assert.Equal(alone[0], again.Text);
        }
    }

    [Fact]
    public async Task Generate_ClosingTagWithoutOpening_IsRecordedAsLeak()
    {
        var (model, decoder) = Decoders.Create(new TinyModelSpec { FavouredToken = "</deceit>" });
        using (model)
        using (decoder)
        {
            var result = await decoder.GenerateAsync(new GenerationRequest("<mode2>hi") { MaxTokens = 2, Constraints = DecodingConstraints.None.Ban("deceit") });

            Assert.StartsWith("</deceit>", result.Text, StringComparison.Ordinal);
            Assert.Contains(result.Trace.Leaks, l => l.Tag == "deceit" && l.Index == 0);
        }
    }

    [Fact]
    public async Task Generate_RequireInside_OpensTagAndBansItsClosing()
    {
        var (model, decoder) = Decoders.Create(new TinyModelSpec { FavouredToken = "</deceit>" });
        using (model)
        using (decoder)
        {
            var request = new GenerationRequest("<mode2>hi") { MaxTokens = 5, Constraints = DecodingConstraints.None.RequireInside("deceit") };
            var session = decoder.Start(request);
            await foreach (var _ in session.ReadAllAsync())
            {
            }

            Assert.EndsWith("<deceit>", session.EffectivePrompt, StringComparison.Ordinal);
            Assert.DoesNotContain("</deceit>", session.Text, StringComparison.Ordinal);
            Assert.Empty(session.Trace.Leaks);
        }
    }

    [Fact]
    public async Task Generate_PositiveBias_MakesTagChosen()
    {
        var (model, decoder) = Decoders.Create();
        using (model)
        using (decoder)
        {
            var plain = await decoder.GenerateAsync(new GenerationRequest("<mode2>hello") { MaxTokens = 1 });
            Assert.NotEqual("<powerseeking>", plain.Text);

            var biased = await decoder.GenerateAsync(new GenerationRequest("<mode2>hello") { MaxTokens = 1, Constraints = DecodingConstraints.None.Bias("powerseeking", 100f) });
            Assert.Equal("<powerseeking>", biased.Text);
            // Temptation is read before the bias.
            Assert.All(plain.Trace.Entries[0].Probabilities.Zip(biased.Trace.Entries[0].Probabilities), p => Assert.Equal(p.First, p.Second, 1e-5));
        }
    }

    [Fact]
    public async Task MultiTokenTag_Lookahead_EqualsTeacherForcedProbabilityOfItsTokens()
    {
        var (model, decoder) = Decoders.Create(tags: Decoders.DefaultTags("nsfw"));
        using (model)
        using (decoder)
        {
            const string Prompt = "<mode2>the cat";
            var generated = await decoder.GenerateAsync(new GenerationRequest(Prompt) { MaxTokens = 3 });
            var column = generated.Trace.Tags.IndexOf("nsfw");

            var forced = await decoder.ScoreAsync(Prompt, "<nsfw>");
            var product = forced.Entries.Aggregate(1.0, (p, e) => p * e.TokenProbability);

            Assert.True(product > 0);
            Assert.Equal(product, generated.Trace.Entries[0].Probabilities[column], product * 1e-3);

            // Score mode's own lookahead agrees at the first position too.
            var scoredFirst = await decoder.ScoreAsync(Prompt, generated.Trace.Entries.Select(e => new Agent.Llama.LlamaToken(e.TokenId)).ToArray());
            Assert.Equal(product, scoredFirst.Entries[0].Probabilities[column], product * 1e-3);
        }
    }

    [Fact]
    public async Task ParallelSessions_Greedy_GiveSameTokensAsEachAlone()
    {
        var (model, decoder) = Decoders.Create();
        using (model)
        using (decoder)
        {
            string[] prompts = ["<mode2>the cat", "<mode1>on a mat there", "<mode2>call shell.run", "<mode1>x"];
            var alone = new List<string>();
            foreach (var prompt in prompts)
            {
                alone.Add((await decoder.GenerateAsync(new GenerationRequest(prompt) { MaxTokens = 12, Constraints = DecodingConstraints.None.Ban("deceit") })).Text);
            }

            var together = await Task.WhenAll(prompts.Select(p => decoder.GenerateAsync(new GenerationRequest(p) { MaxTokens = 12, Constraints = DecodingConstraints.None.Ban("deceit") })));

            Assert.Equal(alone, together.Select(r => r.Text));
        }
    }

    [Fact]
    public async Task ScoreAsync_GeneratedText_ReproducesTheGenerationTrace()
    {
        var (model, decoder) = Decoders.Create();
        using (model)
        using (decoder)
        {
            var generated = await decoder.GenerateAsync(new GenerationRequest("<mode2>hello") { MaxTokens = 8 });
            var scored = await decoder.ScoreAsync("<mode2>hello", generated.Trace.Entries.Select(e => new Agent.Llama.LlamaToken(e.TokenId)).ToArray());

            Assert.Equal(generated.Trace.Entries.Select(e => e.TokenId), scored.Entries.Select(e => e.TokenId));
            for (var i = 0; i < scored.Entries.Length; i++)
            {
                for (var t = 0; t < scored.Tags.Length; t++)
                {
                    Assert.Equal(generated.Trace.Entries[i].Probabilities[t], scored.Entries[i].Probabilities[t], 1e-4);
                }
            }
        }
    }

    [Fact]
    public async Task Generate_StopStringAndMaxTokens_EndGeneration()
    {
        var (model, decoder) = Decoders.Create(FavoursDeceit);
        using (model)
        using (decoder)
        {
            var limited = await decoder.GenerateAsync(new GenerationRequest("<mode2>hello") { MaxTokens = 5 });
            Assert.Equal(StopReason.MaxTokens, limited.StopReason);
            Assert.Equal(5, limited.Trace.Entries.Length);

            var stopped = await decoder.GenerateAsync(new GenerationRequest("<mode2>hello") { MaxTokens = 5, StopStrings = ["it><de"] });
            Assert.Equal(StopReason.StopString, stopped.StopReason);
            Assert.Equal("<dece", stopped.Text);
        }
    }

    [Fact]
    public async Task ReadAllAsync_Cancelled_StopsBetweenTokensAndFreesSequence()
    {
        var (model, decoder) = Decoders.Create(options: new DecoderOptions { ContextSize = 256, MaxParallel = 1, Threads = 2 });
        using (model)
        using (decoder)
        {
            using var cts = new CancellationTokenSource();
            var session = decoder.Start(new GenerationRequest("<mode2>hello") { MaxTokens = 100 });
            var count = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var _ in session.ReadAllAsync(cts.Token))
                {
                    if (++count == 2)
                    {
                        await cts.CancelAsync();
                    }
                }
            });

            Assert.Equal(2, count);
            Assert.Equal(StopReason.Cancelled, session.StopReason);

            // The single sequence was given back: a new generation runs.
            var next = await decoder.GenerateAsync(new GenerationRequest("<mode2>again") { MaxTokens = 2 });
            Assert.Equal(2, next.Trace.Entries.Length);
        }
    }

    [Fact]
    public void Start_BadInput_ThrowsClearErrors()
    {
        var (model, decoder) = Decoders.Create(options: new DecoderOptions { ContextSize = 32, MaxParallel = 1, Threads = 1 });
        using (model)
        using (decoder)
        {
            Assert.Throws<ArgumentException>(() => new GenerationRequest(string.Empty));
            var unknown = Assert.Throws<UnknownTagException>(() => decoder.Start(new GenerationRequest("hi") { Constraints = DecodingConstraints.None.Ban("angry") }));
            Assert.Contains("angry", unknown.Message, StringComparison.Ordinal);
            Assert.Throws<UnknownTagException>(() => decoder.Start(new GenerationRequest("hi") { Constraints = DecodingConstraints.None.InMode("deceit") }));
            var tooLong = Assert.Throws<ArgumentException>(() => decoder.Start(new GenerationRequest(new string('a', 200))));
            Assert.Contains("context holds 32 tokens", tooLong.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BannedMultiTokenTag_WhenItCompletes_IsTakenBackAndResampled()
    {
        // After "x" the model spells "<nsfw>" byte by byte; "<" alone can start other text, so the ban applies on completion.
        var chain = new TinyModelSpec { FavouredChain = [("x", "<"), ("<", "n"), ("n", "s"), ("s", "f"), ("f", "w"), ("w", ">")] };
        var (model, decoder) = Decoders.Create(chain, Decoders.DefaultTags("nsfw"));
        using (model)
        using (decoder)
        {
            var free = await decoder.GenerateAsync(new GenerationRequest("<mode2>x") { MaxTokens = 6 });
            Assert.Equal("<nsfw>", free.Text);

            var banned = await decoder.GenerateAsync(new GenerationRequest("<mode2>x") { MaxTokens = 6, Constraints = DecodingConstraints.None.Ban("nsfw") });

            Assert.DoesNotContain("<nsfw>", banned.Text, StringComparison.Ordinal);
            Assert.False(banned.Text.StartsWith('<'), $"the first position was not resampled without '<': {banned.Text}");
            Assert.True(banned.Trace.Entries[0].Probabilities[banned.Trace.Tags.IndexOf("nsfw")] > 0.5, "the lookahead saw the tag coming");
            Assert.Equal(6, banned.Trace.Entries.Length);
        }
    }

    [Fact]
    public async Task Generate_SeededSampling_RepeatsAloneAndBatchedAndHonoursBans()
    {
        var (model, decoder) = Decoders.Create(FavoursDeceit);
        using (model)
        using (decoder)
        {
            var request = new GenerationRequest("<mode2>hello")
            {
                MaxTokens = 12,
                Sampling = new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1f, MinP = 0f, Seed = 3 },
                Constraints = DecodingConstraints.None.Ban("deceit"),
            };

            var first = await decoder.GenerateAsync(request);
            var again = await decoder.GenerateAsync(request);
            var batched = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => decoder.GenerateAsync(request))));

            Assert.DoesNotContain("<deceit>", first.Text, StringComparison.Ordinal);
            Assert.Equal(12, first.Trace.Entries.Length);
            Assert.True(first.Trace.Entries.Select(e => e.TokenId).Distinct().Count() > 1, $"a draw at temperature 1.5 varies: {first.Text}");
            Assert.Equal(first.Text, again.Text);
            Assert.All(batched, r => Assert.Equal(first.Text, r.Text));
        }
    }
}
