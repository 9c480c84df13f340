using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// What happens to each generation's logits row after the scheduler's decode, in order: the step's constraints are
/// compiled, the temptation probe reads the row before any ban, the sampler chooses (greedy at once; sampling after the
/// lookahead), the multi-token lookahead completes the temptation rows, and the tag guard decides whether the chosen
/// token is emitted, held or taken back. The per-generation state lives in each generation's own parts; this type holds
/// none between steps.
/// </summary>
internal sealed class StepPipeline(LlamaContext context, LlamaVocab vocab, TemptationProbe probe, PhaseClock clock, int contextSize)
{
    private readonly byte[]?[] _pieces = new byte[]?[vocab.Count];
    private readonly List<Prepared> _prepared = [];
    private readonly List<ProbePoint> _points = [];

    /// <summary>
    /// Chooses the next token of every generation in <paramref name="rows"/> (generation to its row in the batch just
    /// decoded) and calls <paramref name="served"/> after each.
    /// </summary>
    public void Run(Dictionary<GenerationSession, int> rows, Action<GenerationSession> served)
    {
        _prepared.Clear();
        foreach (var (session, index) in rows)
        {
            _prepared.Add(Prepare(session, index));
        }

        if (probe.HasMultiTokenTags)
        {
            _points.Clear();
            foreach (var p in _prepared)
            {
                _points.Add(new ProbePoint(p.Session.Slot.Sequence, p.Session.Slot.Tokens.Count, p.Probabilities));
            }

            probe.Lookahead(_points);
            clock.Lap(DecoderPhase.Lookahead);
        }

        foreach (var p in _prepared)
        {
            Choose(p);
            clock.Lap(DecoderPhase.Trace);
            served(p.Session);
        }

        _prepared.Clear();
    }

    /// <summary>Temptation before bans, this step's constraints, and the greedy choice (sampling keeps its masked row).</summary>
    private Prepared Prepare(GenerationSession s, int batchIndex)
    {
        var raw = context.GetLogits(batchIndex);
        var constraints = s.ConstraintsForStep();
        var lse = LogSoftmax.LogSumExp(raw, out var top);
        clock.Lap(DecoderPhase.LogSumExp);
        var position = s.Slot.Tokens.Count;
        var probabilities = probe.Measure(new TokenRow(raw, lse, batchIndex, s.Slot.Sequence, position));
        s.StepConstraints.Compile(constraints, raw, s.Guard.ExclusionsAt(position));
        clock.Lap(DecoderPhase.Mask);
        var (token, logit) = s.Sampler.Select(raw, top, s.StepConstraints.Edits);
        clock.Lap(DecoderPhase.Select);
        return new Prepared(s, lse, probabilities, token, logit);
    }

    private void Choose(Prepared p)
    {
        var s = p.Session;
        var (token, tokenLogit) = (p.Token, p.TokenLogit);
        if (token < 0)
        {
            (token, tokenLogit) = s.Sampler.Sample();
            clock.Lap(DecoderPhase.Select);
        }

        clock.CountToken();
        var position = s.Slot.Tokens.Count;
        var probabilities = ImmutableCollectionsMarshal.AsImmutableArray(p.Probabilities); // a fresh array, never written after this
        var tokenProbability = Math.Exp(tokenLogit - p.LogSumExp);

        if (vocab.IsEndOfGeneration(new LlamaToken(token)))
        {
            s.EmitHeld();
            s.Finish(StopReason.EndOfGeneration);
            return;
        }

        s.Slot.Tokens.Add(token);
        switch (s.Guard.Accept(new HeldToken(token, position, Piece(token), tokenProbability, probabilities), s.StepConstraints.BannedSequences))
        {
            case GuardOutcome.TakeBack:
                s.Slot.TakeBack(s.Guard.TakenBackAt, context); // resampled at the next step, without the tag's first token
                return;
            case GuardOutcome.Hold:
                return; // it may still become a banned tag; the reader's demand stays open
            default:
                s.EmitHeld();
                s.EndIfDone(contextSize);
                return;
        }
    }

    /// <summary>A token's bytes, asked of llama.cpp once per token id (the arrays are shared: never write to them).</summary>
    private byte[] Piece(int token) => _pieces[token] ??= vocab.TokenToBytes(new LlamaToken(token));

    /// <summary>One generation's step between decode and choice.</summary>
    private sealed record Prepared(GenerationSession Session, double LogSumExp, double[] Probabilities, int Token, float TokenLogit);
}
