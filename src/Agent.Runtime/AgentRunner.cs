using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Monitoring;
using Agent.Runtime.Execution;
using Agent.Runtime.Gate;
using Agent.Runtime.Kernel;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkKernel = Microsoft.SemanticKernel.Kernel;

namespace Agent.Runtime;

/// <summary>
/// The agent loop over Semantic Kernel. Each step: the journal is replayed into a chat history, the chat service
/// over the decoder proposes one typed step (<see cref="ProposedStep"/>: line, parsed call or answer or error, trace),
/// both signals are read once (the model's temptation aggregates and, when loaded, the classifier's probabilities), and
/// the step becomes a function call (through the gate filter and the tool executor), an answer (through the same
/// gate entry point, as the pseudo-tool <c>answer</c>), or an error result for the model. The journal in the
/// run store is the only state: resuming after a crash, a shutdown or an approval replays it and continues.
/// </summary>
/// <remarks>
/// Resume rules, for the step that was last when the process stopped: <c>proposed</c> (nothing happened yet) is
/// discarded and generated again; <c>started</c> (the tool may or may not have run) becomes <c>interrupted</c>, the
/// model is told and the call is NOT run again; <c>pending</c> stays parked until a person decides, then the approved
/// call (exactly the stored one, hash-checked by the gate) runs once, or the model is told it was denied.
/// The workspace follows the journal (<see cref="IRunWorkspaces"/>): a run that parks or is stopped by a shutdown has
/// its workspace saved and its sandbox removed before it is written parked or queued (while it still holds the lease, so no
/// other host can take it up meanwhile), and an approval decided while it parked queues it again; a run that resumes after a tool
/// ran gets its still-running sandbox or the saved workspace back before anything else happens, and a run that ends
/// loses both. A resume that finds neither goes on with an empty workspace, says so in the run's reason and logs a
/// warning; a saved workspace that cannot be restored fails the run with a message naming the file.
/// </remarks>
internal sealed partial class AgentRunner : IAgentRunner
{
    private readonly IRunStore _store;
    private readonly IAgentStepSource _source;
    private readonly IRunPluginFactory _plugins;
    private readonly IRunWorkspaces _workspaces;
    private readonly ActionGate _gate;
    private readonly AgentOptions _options;
    private readonly DecodingConstraints _constraints;
    private readonly ILogger _logger;
    private readonly ITagClassifier? _classifier;
    private readonly TimeSpan _leaseRenewal;
    private readonly ILoggerFactory? _loggerFactory;

    public AgentRunner(IRunStore store, IAgentStepSource source, IRunPluginFactory plugins, IRunWorkspaces workspaces, ActionGate gate, AgentOptions options, DecodingConstraints constraints, ILogger<AgentRunner> logger, ITagClassifier? classifier = null, TimeSpan? leaseRenewal = null, ILoggerFactory? loggerFactory = null)
    {
        _loggerFactory = loggerFactory;
        _classifier = classifier;
        _leaseRenewal = leaseRenewal ?? TimeSpan.FromSeconds(20);
        _store = store;
        _source = source;
        _plugins = plugins;
        _workspaces = workspaces;
        _gate = gate;
        _options = options;
        _constraints = constraints;
        _logger = logger;
    }

    public async Task<RunRecord> RunAsync(string runId, string owner, CancellationToken cancellationToken = default)
    {
        var run = await _store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new ArgumentException($"No run '{runId}' in the run store.", nameof(runId));
        if (run.IsTerminal || run.Status == RunStatus.Parked)
        {
            return run;
        }

        run = run with { Status = RunStatus.Running, LeaseOwner = owner };
        using var activity = RuntimeTelemetry.Source.StartActivity("agent.run", ActivityKind.Internal);
        activity?.SetTag("agent.run_id", run.Id);
        activity?.SetTag("agent.model", run.Model);
        var kernel = new SkKernel();
        foreach (var plugin in _plugins.CreatePlugins(run.Id))
        {
            kernel.Plugins.Add(plugin);
        }

        kernel.FunctionInvocationFilters.Add(new ActionGateFilter(_gate, new ToolExecutor(_store, _options.MaxResultChars)));
        var clock = Stopwatch.StartNew();
        var elapsedBefore = run.ElapsedMilliseconds;
        LogRunStarted(_logger, run.Id, run.Steps, run.Status);
        string? workspaceNote = null;
        var lease = RunLease.Start(_store, run.Id, owner, _leaseRenewal, _logger, cancellationToken);
        var token = lease.Token;
        var steps = new List<StepRecord>();
        try
        {
            // The model decides the transcript: its chat template (with this run's tools) or the project's own format.
            var format = RunTranscriptFormat.For(_source.ChatTemplate, kernel.Plugins, _gate.Tags);
            using var client = RuntimeChatPipeline.Build(_source.AsChatClient(format, _constraints), _loggerFactory);
            var chat = new TagDecoderChatCompletionService(
                client,
                _source.ModelName,
                format,
                _options.Temperature <= 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = (float)_options.Temperature, Seed = _options.Seed });
            steps.AddRange(await _store.GetStepsAsync(run.Id, token).ConfigureAwait(false));
            if (steps.Count > 0 && await _store.CountExecutionsAsync(run.Id, null, token).ConfigureAwait(false) > 0)
            {
                // A tool ran before the run stopped, so it may have left files: they must be back before the next call.
                var workspace = await _workspaces.ResumeAsync(run.Id, token).ConfigureAwait(false);
                if (workspace == WorkspaceResumption.Empty)
                {
                    workspaceNote = $"resumed with an EMPTY workspace: no sandbox of the run was running and no saved workspace was found at '{_workspaces.ArchivePath(run.Id)}'; files written before the stop are gone";
                    run = run with { Reason = workspaceNote };
                    await _store.UpdateRunAsync(run, CancellationToken.None).ConfigureAwait(false);
                }
            }

            run = await ResumeAsync(run, steps, kernel, token).ConfigureAwait(false);
            while (run.Status == RunStatus.Running)
            {
                run = run with { ElapsedMilliseconds = elapsedBefore + clock.ElapsedMilliseconds };
                if (LimitReached(run) is { } limit)
                {
                    run = run with { Status = RunStatus.Limit, Reason = limit };
                    break;
                }

                token.ThrowIfCancellationRequested();
                run = await StepAsync(run, steps, kernel, chat, token).ConfigureAwait(false);
                run = run with { ElapsedMilliseconds = elapsedBefore + clock.ElapsedMilliseconds };
                if (run.Status != RunStatus.Parked)
                {
                    // A parked run is written once, below, after its workspace is saved: `parked` makes it requeueable.
                    await _store.UpdateRunAsync(run, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (lease.Lost || e is LeaseLostException)
        {
            // Another worker holds the run now: its state and its workspace are the new owner's; write and settle nothing.
            await lease.DisposeAsync().ConfigureAwait(false);
            LogLeaseLost(_logger, run.Id, owner, e.Message);
            return run;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            run = run with { Status = RunStatus.Queued, Reason = "the host shut down; the run resumes from its last completed step at the next start" };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A model step that throws (model missing, context full, native fault), a store failure, anything: this run
            // fails with the reason; the process and the other runs go on.
            LogRunFailed(_logger, e, run.Id, e.Message);
            run = run with { Status = RunStatus.Failed, Reason = $"{e.GetType().Name}: {e.Message}" };
        }

        if (run.Status is RunStatus.Parked or RunStatus.Queued)
        {
            // Saved while this worker still holds the run: once the store says parked (an approval then queues it) or
            // queued, another host may take it up, and must find the workspace saved and no sandbox of ours left behind.
            await SettleWorkspaceAsync(run).ConfigureAwait(false);
        }

        await lease.DisposeAsync().ConfigureAwait(false);
        run = run with { ElapsedMilliseconds = elapsedBefore + clock.ElapsedMilliseconds };
        if (workspaceNote is not null && run.Reason != workspaceNote)
        {
            // The lost workspace stays on record whatever the run's end says (a completed run's reason is otherwise empty).
            run = run with { Reason = run.Reason is null ? workspaceNote : $"{run.Reason} ({workspaceNote})" };
        }

        try
        {
            await _store.UpdateRunAsync(run, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RunStoreException e)
        {
            // The store itself failed (e.g. a full disk): the lease expires and the run is taken up again later.
            LogRunFailed(_logger, e, run.Id, e.Message);
        }
        catch (LeaseLostException e)
        {
            LogLeaseLost(_logger, run.Id, owner, e.Message);
            return run;
        }

        if (run.IsTerminal)
        {
            await SettleWorkspaceAsync(run).ConfigureAwait(false);
        }
        else if (run.Status == RunStatus.Parked && steps.Count > 0 && steps[^1] is { Status: StepStatus.Pending, LogEntryId: { } approval })
        {
            run = await RequeueIfDecidedAsync(run, approval).ConfigureAwait(false);
        }

        activity?.SetTag("agent.status", SqliteRunStore.Name(run.Status));
        RuntimeTelemetry.Runs.Add(1, new KeyValuePair<string, object?>("status", SqliteRunStore.Name(run.Status)));
        LogRunStopped(_logger, run.Id, run.Status, run.Steps, run.Tokens, run.Reason);
        return run;
    }

    /// <summary>
    /// A decision that landed between the escalation being recorded and the run being written <c>parked</c> found the
    /// run still running, so the store's decide did not queue it: the approval is read again now and, if decided, the
    /// run is queued here (the store does it at most once, whichever of the two comes second does nothing).
    /// </summary>
    private async Task<RunRecord> RequeueIfDecidedAsync(RunRecord run, long approval)
    {
        try
        {
            if (await _store.RequeueDecidedAsync(run.Id, approval, CancellationToken.None).ConfigureAwait(false))
            {
                LogDecidedWhileParking(_logger, run.Id, approval);
                return (await _store.GetRunAsync(run.Id, CancellationToken.None).ConfigureAwait(false)) ?? run with { Status = RunStatus.Queued };
            }
        }
        catch (RunStoreException e)
        {
            // The store failed right after it took `parked`: the run stays parked with its approval decided (logged; not
            // queued again by anything else).
            LogRunFailed(_logger, e, run.Id, e.Message);
        }

        return run;
    }

    /// <summary>A run that ended loses its sandbox and saved workspace; one that waits (parked, or queued by a shutdown) has its workspace saved and its sandbox removed. Failures are logged: the run's state is already stored.</summary>
    private async Task SettleWorkspaceAsync(RunRecord run)
    {
        try
        {
            if (run.IsTerminal)
            {
                await _workspaces.ReleaseAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
            }
            else if (run.Status is RunStatus.Parked or RunStatus.Queued)
            {
                await _workspaces.SuspendAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogWorkspaceNotSettled(_logger, e, run.Id, run.Status, _workspaces.ArchivePath(run.Id), e.Message);
        }
    }

    private string? LimitReached(RunRecord run)
    {
        if (run.Steps >= _options.MaxSteps)
        {
            return $"step limit reached (Agent:MaxSteps = {_options.MaxSteps})";
        }

        if (_options.MaxTokensPerRun - run.Tokens < 8)
        {
            return $"token budget spent (Agent:MaxTokensPerRun = {_options.MaxTokensPerRun})";
        }

        return run.ElapsedMilliseconds >= _options.MaxWallClockSeconds * 1000L
            ? $"wall-clock budget spent (Agent:MaxWallClockSeconds = {_options.MaxWallClockSeconds})"
            : null;
    }

    private async Task<RunRecord> ResumeAsync(RunRecord run, List<StepRecord> steps, SkKernel kernel, CancellationToken cancellationToken)
    {
        if (steps.Count == 0)
        {
            return run;
        }

        var last = steps[^1];
        switch (last.Status)
        {
            case StepStatus.Proposed:
                await _store.DeleteProposedStepAsync(run.Id, last.Step, cancellationToken).ConfigureAwait(false);
                steps.RemoveAt(steps.Count - 1);
                return run with { Steps = Math.Min(run.Steps, last.Step - 1) };
            case StepStatus.Started:
                LogInterrupted(_logger, run.Id, last.Step, last.Tool ?? "?");
                steps[^1] = last with
                {
                    Status = StepStatus.Interrupted,
                    Result = ToolOutcome.NotRun(
                        ToolOutcome.InterruptedExitCode,
                        "interrupted: the process stopped while this call ran; it was not run again and its effects are unknown. Check before repeating it."),
                    CompletedAt = DateTimeOffset.UtcNow,
                };
                await _store.SaveStepAsync(steps[^1], cancellationToken).ConfigureAwait(false);
                return run with { Steps = Math.Max(run.Steps, last.Step) };
            case StepStatus.Pending:
                return await ResumePendingAsync(run, steps, kernel, cancellationToken).ConfigureAwait(false);
            default:
                return run with { Steps = Math.Max(run.Steps, last.Step) };
        }
    }

    private async Task<RunRecord> ResumePendingAsync(RunRecord run, List<StepRecord> steps, SkKernel kernel, CancellationToken cancellationToken)
    {
        var last = steps[^1];
        run = run with { Steps = Math.Max(run.Steps, last.Step) };
        var entry = last.LogEntryId is { } id ? await _store.GetLogEntryAsync(id, cancellationToken).ConfigureAwait(false) : null;
        if (entry is null || entry.ReviewStatus == "pending")
        {
            return run with { Status = RunStatus.Parked, Reason = $"waiting for a person to decide approval {last.LogEntryId}" };
        }

        var reviewer = "reviewer:" + entry.Reviewer;
        if (entry.ReviewStatus == "denied")
        {
            steps[^1] = last with
            {
                Status = StepStatus.Denied,
                Decision = Decision.Block, // by a person (DecidedBy), as an approval is an allow by a person
                Rule = $"denied:{entry.Id}",
                DecidedBy = reviewer,
                Result = ToolOutcome.NotRun(ToolOutcome.NotRunExitCode, $"denied by {entry.Reviewer}{(entry.ReviewReason is { } r ? ": " + r : string.Empty)}. Do something else or answer."),
                CompletedAt = DateTimeOffset.UtcNow,
            };
            await _store.SaveStepAsync(steps[^1], cancellationToken).ConfigureAwait(false);
            return run;
        }

        if (last.Kind == StepKind.Answer)
        {
            steps[^1] = last with { Status = StepStatus.Answered, Decision = Decision.Allow, DecidedBy = reviewer, Rule = $"approved:{entry.Id}", CompletedAt = DateTimeOffset.UtcNow };
            await _store.SaveStepAsync(steps[^1], cancellationToken).ConfigureAwait(false);
            return run with { Status = RunStatus.Completed, FinalAnswer = AnswerText(last), Reason = $"answer approved by {entry.Reviewer}" };
        }

        var call = ToolCall.Parse(last.Tool!, last.Arguments!);
        var action = new ProposedAction(run, last with { Status = StepStatus.Proposed }, call,
            new GateSignals(last.Temptation, last.Classifier) { Mode = last.Mode, LastExitCode = LastResult(steps.Take(steps.Count - 1))?.ExitCode }) { Approval = entry };
        var handled = await InvokeAsync(kernel, action, ChatHistoryTranscript.ToFunctionCall(call, "call-" + last.Step)).ConfigureAwait(false);
        steps[^1] = handled.Step;
        return handled.Failure is { } failure
            ? run with { Status = RunStatus.Failed, Reason = $"the sandbox failed: {failure.Message}" }
            : run;
    }

    private async Task<RunRecord> StepAsync(RunRecord run, List<StepRecord> steps, SkKernel kernel, TagDecoderChatCompletionService chat, CancellationToken cancellationToken)
    {
        var number = run.Steps + 1;
        using var activity = RuntimeTelemetry.Source.StartActivity("agent.step");
        activity?.SetTag("agent.run_id", run.Id);
        activity?.SetTag("agent.step", number);
        chat.MaxTokens = Math.Min(_options.MaxTokensPerStep, _options.MaxTokensPerRun - run.Tokens);
        var history = BuildHistory(run.Task, steps);
        var proposed = await chat.ProposeAsync(history, cancellationToken).ConfigureAwait(false);
        var trace = proposed.Trace;
        var tokens = proposed.Tokens;
        var temptation = ModelSignal(proposed);
        var mode = proposed.Mode;
        if (mode is null && tokens > 0 && _gate.CurrentPolicy().ModeRules is { Count: > 0 } modeRules)
        {
            // The mode rule cannot be read without a head: refuse rather than run as if the rule were not there.
            var refusal = ModeRuleWithoutHead(modeRules, _source.ModelName);
            LogRuleCannotBeRead(_logger, run.Id, refusal);
            return run with { Status = RunStatus.Failed, Tokens = run.Tokens + tokens, Reason = refusal };
        }

        if (tokens > 0 && _gate.CurrentPolicy().CombinedRules.Where(r => !temptation.ContainsKey(r.Tag)).ToList() is { Count: > 0 } unreadable)
        {
            // The combined signal cannot be read without the model's temptation: refuse rather than run as if the rule were not there.
            var refusal = CombinedRuleWithoutModelSignal(unreadable, _source.ModelName);
            LogRuleCannotBeRead(_logger, run.Id, refusal);
            return run with { Status = RunStatus.Failed, Tokens = run.Tokens + tokens, Reason = refusal };
        }

        run = run with { Steps = number, Tokens = run.Tokens + tokens };
        activity?.SetTag("agent.tokens", tokens);
        var record = new StepRecord
        {
            RunId = run.Id,
            Step = number,
            Kind = StepKind.Malformed,
            ModelLine = proposed.Line,
            Tokens = tokens,
            Temptation = temptation,
            Mode = mode,
            Status = StepStatus.Proposed,
            CreatedAt = DateTimeOffset.UtcNow,
        };

        if (proposed.Error is { } why)
        {
            steps.Add(await InvalidAsync(record, null, ToolOutcome.InvalidCallExitCode, "invalid step: " + why).ConfigureAwait(false));
            return run with { MalformedCalls = run.MalformedCalls + 1 };
        }

        if (proposed.Call is not { } call)
        {
            var lastResult = LastResult(steps);
            // The calls that ran (or may have: interrupted), as the gate scored them: a denial of one is what the answer
            // head needs them for; a blocked or denied call did not happen, so denying it is true.
            var earlierCalls = steps.Where(s => s.Kind == StepKind.Call && s.Status is StepStatus.Completed or StepStatus.Interrupted && s.Tool is not null && s.Arguments is not null)
                .Select(s => ToolCall.Parse(s.Tool!, s.Arguments!).ToString());
            var answerInput = ClassifierInput.ForAnswer(
                lastResult is { } r ? new ToolResultSummary(r.ExitCode, r.Stdout, r.Stderr) : null, proposed.Answer!, run.Task, earlierCalls);
            var answerSignals = Signals(temptation, mode, answerInput) with { LastExitCode = lastResult?.ExitCode, EarlierCallFlagged = EarlierCallFlagged(answerInput) };
            return await AnswerAsync(run, steps, record with { Kind = StepKind.Answer }, proposed.Answer!, trace, answerSignals, cancellationToken).ConfigureAwait(false);
        }

        var functionCall = ChatHistoryTranscript.ToFunctionCall(call, "call-" + number);
        record = record with { Kind = StepKind.Call, Tool = call.Name, Arguments = call.ArgumentsJson, ArgumentsHash = CallBinding.Hash(call.Name, call.ArgumentsJson) };
        if (!kernel.Plugins.TryGetFunction(functionCall.PluginName, functionCall.FunctionName, out var function))
        {
            var tools = string.Join(", ", kernel.Plugins.SelectMany(p => p.Select(f => p.Name + "." + f.Name)));
            steps.Add(await InvalidAsync(record, call, ToolOutcome.UnknownToolExitCode, $"unknown tool '{call.Name}'; the tools are: {tools}").ConfigureAwait(false));
            return run with { MalformedCalls = run.MalformedCalls + 1 };
        }

        if (ArgumentError(function, call) is { } argumentError)
        {
            steps.Add(await InvalidAsync(record, call, ToolOutcome.InvalidCallExitCode, $"invalid arguments for {call.Name}: {argumentError}").ConfigureAwait(false));
            return run with { MalformedCalls = run.MalformedCalls + 1 };
        }

        var signals = Signals(temptation, mode, ClassifierInput.ForCall(run.Task, call.ToString())) with { LastExitCode = LastResult(steps)?.ExitCode };
        record = record with { Classifier = signals.Classifier };
        await _store.SaveStepAsync(record, cancellationToken).ConfigureAwait(false);
        var action = new ProposedAction(run, record, call, signals) { Trace = trace };
        var handled = await InvokeAsync(kernel, action, functionCall).ConfigureAwait(false);
        steps.Add(handled.Step);
        return Outcome(run, handled);
    }

    /// <summary>
    /// Invokes <paramref name="functionCall"/> through the kernel with <paramref name="action"/> in its arguments: the
    /// gate filter decides and, when allowed, the executor runs and journals it; the result is what became of it.
    /// </summary>
    private static async Task<HandledAction> InvokeAsync(SkKernel kernel, ProposedAction action, FunctionCallContent functionCall)
    {
        var function = kernel.Plugins.GetFunction(functionCall.PluginName, functionCall.FunctionName);

        // Tools are not cancelled by shutdown: a started call finishes (bounded by Sandbox:ExecTimeoutSeconds) and is journaled.
        var result = await function.InvokeAsync(kernel, ActionArguments.For(action, functionCall.Arguments), CancellationToken.None).ConfigureAwait(false);
        return result.GetValue<HandledAction>()
            ?? throw new InvalidOperationException($"The function {action.Call.Name} returned without passing the action gate filter; every tool call must go through it.");
    }

    private RunRecord Outcome(RunRecord run, HandledAction handled)
    {
        if (handled.Failure is { } failure)
        {
            return run with { Status = RunStatus.Failed, Reason = $"the sandbox failed: {failure.Message}" };
        }

        return handled.Decision.Decision switch
        {
            Decision.Escalate => run with { Status = RunStatus.Parked, Reason = $"waiting for a person to decide approval {handled.Step.LogEntryId} ({handled.Decision.Rule})" },
            Decision.Block => run.BlockedActions + 1 >= _options.MaxBlockedActions
                ? run with { Status = RunStatus.Blocked, BlockedActions = run.BlockedActions + 1, Reason = $"{run.BlockedActions + 1} actions blocked (Agent:MaxBlockedActions = {_options.MaxBlockedActions}); last: {handled.Decision.Rule}" }
                : run with { BlockedActions = run.BlockedActions + 1 },
            _ => run,
        };
    }

    /// <summary>
    /// Gates an answer. An answer is not a function invocation (nothing runs, nothing is journaled as started, there is
    /// no plugin to call), so it does not pass through Semantic Kernel's filter pipeline; it enters the gate at the
    /// same typed entry point as a call (<see cref="ActionGate.DecideAsync"/> with a <see cref="ProposedAction"/> of the
    /// pseudo-tool <c>answer</c>), under the same span, and its outcome is read by the same <see cref="Outcome"/>.
    /// </summary>
    private async Task<RunRecord> AnswerAsync(RunRecord run, List<StepRecord> steps, StepRecord record, string answer, TemptationTrace trace, GateSignals signals, CancellationToken cancellationToken)
    {
        var call = new ToolCall(PolicyOptions.AnswerTool, new JsonObject { ["text"] = answer });
        record = record with { Tool = call.Name, Arguments = call.ArgumentsJson, ArgumentsHash = CallBinding.Hash(call.Name, call.ArgumentsJson), Classifier = signals.Classifier };
        await _store.SaveStepAsync(record, cancellationToken).ConfigureAwait(false);
        var action = new ProposedAction(run, record, call, signals) { Trace = trace };
        using var activity = ActionGate.StartActivity(action);
        var handled = await _gate.DecideAsync(action, cancellationToken).ConfigureAwait(false);
        if (handled.Decision.Decision == Decision.Allow)
        {
            var answered = handled.Step with { Status = StepStatus.Answered, CompletedAt = DateTimeOffset.UtcNow };
            await _store.SaveStepAsync(answered, CancellationToken.None).ConfigureAwait(false);
            steps.Add(answered);
            return run with { Status = RunStatus.Completed, FinalAnswer = answer, Reason = null };
        }

        steps.Add(handled.Step);
        return Outcome(run, handled);
    }

    /// <summary>The model's temptation aggregates of a step, computed once: the monitored tags it has a trained token for.</summary>
    private Dictionary<string, TemptationAggregate> ModelSignal(ProposedStep step) =>
        _gate.Tags.Where(t => step.Trace.Tags.Contains(t) && !step.TagsWithoutModelSignal.Contains(t))
            .ToDictionary(t => t, t => step.Trace.Aggregate(t), StringComparer.Ordinal);

    /// <summary>The signals of an action: the model's temptation and mode signal, and the classifier's only when one is loaded (the policy counts it).</summary>
    private GateSignals Signals(IReadOnlyDictionary<string, TemptationAggregate> temptation, ModeSignal? mode, ClassifierInput input)
    {
        if (_classifier is null)
        {
            return new GateSignals(temptation, GateSignals.None.Classifier) { Mode = mode };
        }

        var clock = Stopwatch.StartNew();
        var scores = _classifier.Score(input);
        RuntimeTelemetry.ClassifierLatency.Record(clock.Elapsed.TotalMilliseconds);
        return new GateSignals(temptation, scores.Probabilities, scores.Truncated) { Mode = mode };
    }

    /// <summary>
    /// Whether an earlier call of the answer's run is one the classifier's call heads flag (a combined signal's
    /// <c>AfterFlaggedCall</c> weights read it); computed only when the policy has a combined rule, since it scores each
    /// earlier call again (their embeddings are usually still in the classifier's cache).
    /// </summary>
    private bool EarlierCallFlagged(ClassifierInput answer) =>
        _classifier is not null && _gate.CurrentPolicy().CombinedRules.Count > 0 && EarlierCallRisk.Of(_classifier, answer)?.Flagged == true;

    /// <summary>
    /// The last tool result of the run among <paramref name="steps"/> (the one the classifier reads before an answer, and
    /// whose exit code picks a combined signal's <c>AfterFailure</c> / <c>AfterSuccess</c> weights); null when none.
    /// </summary>
    private static ToolOutcome? LastResult(IEnumerable<StepRecord> steps) => steps.LastOrDefault(s => s.Kind == StepKind.Call && s.Result is not null)?.Result;

    /// <summary>Why a run stops when the policy reads a combined signal for a tag the model has no temptation for: what to do, in words.</summary>
    internal static string CombinedRuleWithoutModelSignal(IReadOnlyList<(string Key, string Tag)> rules, string model) =>
        $"the policy reads the combined signal at {string.Join(", ", rules.Select(r => r.Key))} but the model '{model}' has no trained single token for "
        + $"{string.Join(", ", rules.Select(r => r.Tag).Distinct(StringComparer.Ordinal))}, so the combined score cannot be computed: use a model trained with the tag, "
        + "or set Signals to Classifier or Both for it";

    /// <summary>Why a run stops when the policy has a mode rule and the model has no mode head: what to do, in words.</summary>
    internal static string ModeRuleWithoutHead(IReadOnlyList<string> rules, string model) =>
        $"the policy has a mode rule ({string.Join(", ", rules)}) but the model '{model}' has no mode head (no {ModeHead.FileSuffix} beside it), so the rule cannot be read: "
        + $"use a model with a mode head ('agent train --mode-head-weight' trains one) or remove {string.Join(" and ", rules)} from the policy";

    private async Task<StepRecord> InvalidAsync(StepRecord record, ToolCall? call, int exitCode, string message)
    {
        RuntimeTelemetry.MalformedCalls.Add(1);
        LogInvalid(_logger, record.RunId, record.Step, call?.Name ?? "-", message, record.ModelLine);
        var invalid = record with { Status = StepStatus.Invalid, Result = ToolOutcome.NotRun(exitCode, message), CompletedAt = DateTimeOffset.UtcNow };
        await _store.SaveStepAsync(invalid, CancellationToken.None).ConfigureAwait(false);
        return invalid;
    }

    private static string? ArgumentError(KernelFunction function, ToolCall call)
    {
        using var doc = JsonDocument.Parse(call.ArgumentsJson);
        var parameters = function.Metadata.Parameters;
        foreach (var parameter in parameters.Where(p => p.IsRequired))
        {
            if (!doc.RootElement.TryGetProperty(parameter.Name, out _))
            {
                return $"missing '{parameter.Name}' ({parameter.Description})";
            }
        }

        foreach (var property in doc.RootElement.EnumerateObject())
        {
            var parameter = parameters.FirstOrDefault(p => p.Name == property.Name);
            if (parameter is null)
            {
                return $"unknown argument '{property.Name}'; expected {string.Join(", ", parameters.Select(p => p.Name))}";
            }

            if (parameter.ParameterType == typeof(string) && property.Value.ValueKind != JsonValueKind.String)
            {
                return $"'{property.Name}' must be a string";
            }
        }

        return null;
    }

    private static string AnswerText(StepRecord step)
    {
        using var doc = JsonDocument.Parse(step.Arguments ?? "{}");
        return doc.RootElement.TryGetProperty("text", out var text) ? text.GetString() ?? string.Empty : string.Empty;
    }

    /// <summary>The chat history a step sees: the task, then every finished step as a call (or answer) and its result.</summary>
    internal static ChatHistory BuildHistory(string task, IEnumerable<StepRecord> steps)
    {
        var history = new ChatHistory();
        history.AddUserMessage(task);
        foreach (var step in steps)
        {
            if (step.Status is StepStatus.Proposed or StepStatus.Pending || step.Result is null && step.Status != StepStatus.Answered)
            {
                continue;
            }

            var id = "call-" + step.Step;
            switch (step.Kind)
            {
                case StepKind.Malformed:
                    history.Add(new ChatMessageContent(AuthorRole.Tool, [new FunctionResultContent("error", null, id, step.Result)]));
                    break;
                case StepKind.Answer:
                    history.AddAssistantMessage(AnswerText(step));
                    if (step.Result is not null)
                    {
                        history.Add(new ChatMessageContent(AuthorRole.Tool, [new FunctionResultContent(PolicyOptions.AnswerTool, null, id, step.Result)]));
                    }

                    break;
                default:
                    var call = ChatHistoryTranscript.ToFunctionCall(ToolCall.Parse(step.Tool!, step.Arguments!), id);
                    history.Add(new ChatMessageContent(AuthorRole.Assistant, [call]));
                    history.Add(new ChatMessageContent(AuthorRole.Tool, [new FunctionResultContent(call.FunctionName, call.PluginName, id, step.Result)]));
                    break;
            }
        }

        return history;
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Run {RunId} starts at step {Step} ({Status})")]
    private static partial void LogRunStarted(ILogger logger, string runId, int step, RunStatus status);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Run {RunId} stopped: {Status} after {Steps} steps and {Tokens} tokens ({Reason})")]
    private static partial void LogRunStopped(ILogger logger, string runId, RunStatus status, int steps, int tokens, string? reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "Run {RunId} failed: {Reason}")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, string runId, string reason);

    [LoggerMessage(EventId = 207, Level = LogLevel.Error, Message = "Run {RunId}: {Owner} no longer holds it and stops it without writing: {Reason}")]
    private static partial void LogLeaseLost(ILogger logger, string runId, string owner, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Run {RunId} step {Step}: {Tool} was interrupted by a crash; it is reported to the model, not run again")]
    private static partial void LogInterrupted(ILogger logger, string runId, int step, string tool);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "Run {RunId} is {Status} but its workspace could not be saved to {Path} or released: {Reason}. A sandbox left running is adopted when the run resumes in this process; otherwise the run resumes with an empty workspace")]
    private static partial void LogWorkspaceNotSettled(ILogger logger, Exception exception, string runId, RunStatus status, string path, string reason);

    [LoggerMessage(EventId = 208, Level = LogLevel.Information, Message = "Run {RunId}: approval {Approval} was decided while the run was parking; it is queued again")]
    private static partial void LogDecidedWhileParking(ILogger logger, string runId, long approval);

    [LoggerMessage(EventId = 209, Level = LogLevel.Error, Message = "Run {RunId} stopped: {Reason}")]
    private static partial void LogRuleCannotBeRead(ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Run {RunId} step {Step}: invalid call of {Tool} sent back to the model: {Error}; the model wrote {ModelLine}")]
    private static partial void LogInvalid(ILogger logger, string runId, int step, string tool, string error, string modelLine);
}
