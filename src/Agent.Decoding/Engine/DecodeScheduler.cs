using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// Owns the llama context and decides who uses it. Generations wait for a free sequence; at each step the demands of
/// every active generation are gathered and their pending tokens go into one batch and one decode, whose rows the
/// <see cref="StepPipeline"/> turns into tokens. One loop thread runs the steps, and engine jobs (score mode) between
/// them; a reader whose generation is the only one active steps inline on its own thread instead, with no hand-off.
/// </summary>
internal sealed class DecodeScheduler : IDisposable
{
    private const int GatherMilliseconds = 2;
    private const string LoopThreadName = "tag-decoder";

    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;
    private readonly StepPipeline _pipeline;
    private readonly PhaseClock _clock;
    private readonly int _batchSize;
    private readonly Lock _sync = new();
    private readonly Lock _engine = new(); // held by whoever touches the context: the loop, or a reader stepping inline
    private readonly HashSet<GenerationSession> _demands = [];
    private readonly Queue<GenerationSession> _waiting = new();
    private readonly Queue<GenerationSession> _releases = new();
    private readonly Queue<IEngineJob> _jobs = new();
    private readonly Stack<int> _freeSequences = new();
    private readonly HashSet<GenerationSession> _active = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _loop;
    private readonly List<GenerationSession> _inline = [null!];
    private readonly List<GenerationSession> _ready = [];
    private readonly List<GenerationSession> _finishedDemands = [];
    private readonly Dictionary<GenerationSession, int> _rows = [];
    private readonly Action<GenerationSession> _served;
    private Exception? _fault;
    private bool _disposeOnExit;

    /// <summary>Takes ownership of <paramref name="context"/> and <paramref name="batch"/>; generations use sequences 0 to <paramref name="sequences"/> - 1.</summary>
    public DecodeScheduler(LlamaContext context, LlamaBatch batch, StepPipeline pipeline, PhaseClock clock, int sequences, int batchSize)
    {
        _context = context;
        _batch = batch;
        _pipeline = pipeline;
        _clock = clock;
        _batchSize = batchSize;
        for (var s = sequences - 1; s >= 0; s--)
        {
            _freeSequences.Push(s);
        }

        _served = Served;
        _loop = new Thread(Run) { IsBackground = true, Name = LoopThreadName };
        _loop.Start();
    }

    /// <summary>Whether the scheduler was stopped.</summary>
    public bool IsStopped => _stop.IsCancellationRequested;

    /// <summary>Queues a generation for a sequence; it is admitted when its reader first asks for a token.</summary>
    /// <exception cref="InvalidOperationException">The decoder stopped after an error.</exception>
    public void Enqueue(GenerationSession session)
    {
        lock (_sync)
        {
            ThrowIfFaulted();
            _waiting.Enqueue(session);
        }
    }

    /// <summary>Queues a job for the engine and wakes the loop.</summary>
    /// <exception cref="InvalidOperationException">The decoder stopped after an error.</exception>
    public void Enqueue(IEngineJob job)
    {
        lock (_sync)
        {
            ThrowIfFaulted();
            _jobs.Enqueue(job);
        }

        _signal.Release();
    }

    /// <summary>The reader of <paramref name="session"/> waits for its next token from the loop.</summary>
    public void Demand(GenerationSession session)
    {
        lock (_sync)
        {
            if (_fault is not null)
            {
                session.Finish(StopReason.Cancelled);
                session.Wake();
                return;
            }

            _demands.Add(session);
        }

        _signal.Release();
    }

    /// <summary><paramref name="session"/> is done with its sequence.</summary>
    public void Release(GenerationSession session)
    {
        lock (_sync)
        {
            _releases.Enqueue(session);
        }

        if (!_stop.IsCancellationRequested)
        {
            _signal.Release();
        }
    }

    /// <summary>
    /// Steps <paramref name="session"/> on the calling thread when it is the decoder's only active generation and nothing
    /// else waits (no other demand, no engine job): no hand-off to the loop thread and back, per token or per generation.
    /// Returns false, having done nothing, when the caller must demand through the loop instead (another session is active,
    /// the engine is busy, or the caller is the loop thread itself). Constraints are read at each step, exactly as the loop
    /// reads them.
    /// </summary>
    public bool TryStepInline(GenerationSession session)
    {
        if (Thread.CurrentThread == _loop || _stop.IsCancellationRequested || !_engine.TryEnter())
        {
            return false;
        }

        try
        {
            lock (_sync)
            {
                if (_fault is not null || _stop.IsCancellationRequested)
                {
                    return false;
                }

                Admit();
                if (session.Slot.Sequence < 0 || session.Finished || _active.Count != 1 || _demands.Count > 0 || _jobs.Count > 0)
                {
                    return false;
                }
            }

            _clock.Start();
            _inline[0] = session;
            Step(_inline);
            return true;
        }
#pragma warning disable CA1031 // the same as in the loop: every waiting caller fails instead of the decoder dying silently
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
            return true;
        }
        finally
        {
            _inline[0] = null!;
            _engine.Exit();
        }
    }

    /// <summary>Stops the loop and frees the context, the batch and the samplers of the generations still active.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _signal.Release();
        if (Thread.CurrentThread == _loop)
        {
            // Called from a reader's continuation on the loop itself: the loop frees everything when it returns.
            _disposeOnExit = true;
            return;
        }

        _loop.Join();
        lock (_engine)
        {
            // A reader stepping inline finishes its step first; later ones see the stop and go no further.
            FreeResources();
        }
    }

    private void FreeResources()
    {
        foreach (var session in _active)
        {
            session.Sampler.Dispose();
        }

        _batch.Dispose();
        _context.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }

    private void ThrowIfFaulted()
    {
        if (_fault is not null)
        {
            throw new InvalidOperationException($"The decoder stopped after an error: {_fault.Message}", _fault);
        }
    }

    private void Run()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                _signal.Wait(_stop.Token);
                lock (_sync)
                {
                    if (_fault is not null)
                    {
                        return;
                    }

                    if (_releases.Count == 0 && _waiting.Count == 0 && _jobs.Count == 0 && _demands.Count == 0)
                    {
                        continue; // nothing for the engine (a reader stepping inline already did it)
                    }
                }

                lock (_engine)
                {
                    _clock.Start();
                    Iterate();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the loop must fail every waiting caller instead of dying silently
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
        }
        finally
        {
            if (_disposeOnExit)
            {
                lock (_engine)
                {
                    FreeResources();
                }
            }
        }
    }

    /// <summary>One turn of the loop, under the engine lock: admissions and releases, engine jobs, then one batched step.</summary>
    private void Iterate()
    {
        IEngineJob[] jobs;
        lock (_sync)
        {
            Admit();
            jobs = _jobs.Count == 0 ? [] : [.. _jobs];
            _jobs.Clear();
        }

        foreach (var job in jobs)
        {
            job.Run();
        }

        GatherDemands();
        _ready.Clear();
        lock (_sync)
        {
            foreach (var s in _demands)
            {
                if (s.Finished)
                {
                    _finishedDemands.Add(s);
                }
                else if (s.Slot.Sequence >= 0)
                {
                    _ready.Add(s);
                }
            }

            foreach (var finished in _finishedDemands)
            {
                _demands.Remove(finished);
                finished.Wake();
            }

            _finishedDemands.Clear();
        }

        if (_ready.Count > 0)
        {
            _clock.Lap(DecoderPhase.Schedule);
            Step(_ready);
        }

        lock (_sync)
        {
            foreach (var s in _demands)
            {
                if (s.Slot.Sequence >= 0)
                {
                    _signal.Release();
                    break;
                }
            }
        }
    }

    /// <summary>Under <see cref="_sync"/> and the engine: frees the sequences of released sessions and gives free ones to waiting sessions.</summary>
    private void Admit()
    {
        while (_releases.TryDequeue(out var released))
        {
            if (_active.Remove(released) && released.Slot.Sequence >= 0)
            {
                _context.ClearSequence(new LlamaSeqId(released.Slot.Sequence));
                _freeSequences.Push(released.Slot.Sequence);
                released.Slot.Sequence = -1;
            }

            _demands.Remove(released);
            released.Sampler.Dispose();
        }

        while (_freeSequences.Count > 0 && _waiting.TryDequeue(out var next))
        {
            if (next.Finished)
            {
                continue;
            }

            next.Slot.Sequence = _freeSequences.Pop();
            _active.Add(next);
        }
    }

    /// <summary>After an error in a step: the decoder stops, and every waiting caller learns it.</summary>
    private void Fail(Exception e)
    {
        List<GenerationSession> waiting;
        List<IEngineJob> jobs;
        lock (_sync)
        {
            _fault ??= e;
            waiting = [.. _demands, .. _active, .. _waiting];
            jobs = [.. _jobs];
            _jobs.Clear();
        }

        foreach (var session in waiting)
        {
            session.Finish(StopReason.Cancelled);
            session.Wake();
        }

        foreach (var job in jobs)
        {
            job.Fail(e);
        }

        _signal.Release(); // the loop sees the fault and ends
    }

    /// <summary>Waits a moment for every active session to ask for its next token, so they share one batch.</summary>
    private void GatherDemands()
    {
        var deadline = Environment.TickCount64 + GatherMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            lock (_sync)
            {
                if (_demands.Count == 0 || _active.All(s => s.Finished || _demands.Contains(s)))
                {
                    return;
                }
            }

            Thread.Yield();
        }
    }

    /// <summary>One decode: every session's pending tokens (prompt or last choice) in one batch, within the batch size.</summary>
    private void Step(List<GenerationSession> sessions)
    {
        _batch.Clear();
        _rows.Clear();
        foreach (var s in sessions)
        {
            var slot = s.Slot;
            var take = Math.Min(slot.Pending, _batchSize - _batch.Count);
            if (take <= 0)
            {
                continue;
            }

            for (var i = 0; i < take; i++)
            {
                var position = slot.Fed + i;
                var last = position == slot.Tokens.Count - 1;
                var index = _batch.Add(new LlamaToken(slot.Tokens[position]), new LlamaPos(position), new LlamaSeqId(slot.Sequence), last);
                if (last)
                {
                    _rows[s] = index;
                }
            }

            slot.Fed += take;
        }

        if (_batch.Count == 0)
        {
            return;
        }

        _clock.Lap(DecoderPhase.Batch);
        _context.Decode(_batch);
        _clock.CountStep();
        _clock.Lap(DecoderPhase.Decode);
        _pipeline.Run(_rows, _served);
    }

    private void Served(GenerationSession session)
    {
        if (session.HasNews)
        {
            // Served: its next token waits for its next demand (made in Wake when the reader continues inline), so a
            // constraint changed in between applies to it. A session still holding tokens keeps its demand.
            lock (_sync)
            {
                _demands.Remove(session);
            }
        }

        session.Wake();
        _clock.Lap(DecoderPhase.Handoff);
    }
}
