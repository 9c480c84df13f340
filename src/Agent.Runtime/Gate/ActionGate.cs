using System.Diagnostics;
using System.Globalization;
using Agent.Decoding;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Runtime.Gate;

/// <summary>
/// Decides actions with the live policy (<see cref="IOptionsMonitor{TOptions}"/>: an edited appsettings.json takes
/// effect at the next action; an invalid edit is logged and the last valid policy stays), logs every decision as a
/// structured event, counts it, and stores every escalate and block in the blocked-action log with both signals and its
/// trace. The decision itself is <see cref="Decide"/>: a pure function of the policy and a typed <see cref="GateRequest"/>.
/// </summary>
internal sealed partial class ActionGate
{
    private readonly IOptionsMonitor<PolicyOptions> _policy;
    private readonly IRunStore _store;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<string> _tags;
    private readonly Lock _sync = new();
    private PolicyOptions? _lastOptions;
    private ActionPolicy? _lastPolicy;

    public ActionGate(IOptionsMonitor<PolicyOptions> policy, IRunStore store, ILogger<ActionGate> logger, IReadOnlyList<string> monitoredTags)
    {
        _policy = policy;
        _store = store;
        _logger = logger;
        _tags = monitoredTags;
    }

    /// <summary>The behaviour tags whose temptation is recorded and reported.</summary>
    public IReadOnlyList<string> Tags => _tags;

    /// <summary>The policy in force now.</summary>
    public ActionPolicy CurrentPolicy()
    {
        lock (_sync)
        {
            try
            {
                var options = _policy.CurrentValue;
                if (!ReferenceEquals(options, _lastOptions) || _lastPolicy is null)
                {
                    var next = ActionPolicy.Create(options);
                    if (_lastPolicy is not null && next.Version != _lastPolicy.Version)
                    {
                        LogPolicyChanged(_logger, _lastPolicy.Version, next.Version);
                    }

                    _lastOptions = options;
                    _lastPolicy = next;
                }
            }
            catch (OptionsValidationException e) when (_lastPolicy is not null)
            {
                LogPolicyRejected(_logger, string.Join(" ", e.Failures), _lastPolicy.Version);
            }

            return _lastPolicy!;
        }
    }

    /// <summary>
    /// Decides <paramref name="request"/> under <paramref name="policy"/>: pure, no I/O. An approval decides its own call
    /// (allowed when bound to exactly this tool and arguments hash, blocked otherwise); otherwise the policy reads both signals.
    /// </summary>
    public static GateDecision Decide(ActionPolicy policy, GateRequest request)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Approval is not { } approval)
        {
            return policy.Evaluate(request.Tool, request.Signals);
        }

        var hash = request.ArgumentsHash;
        return approval.Tool == request.Tool && approval.ArgumentsHash == hash && approval.ReviewStatus == "approved"
            ? new GateDecision(Decision.Allow, $"approved:{approval.Id}", policy.Version)
            : new GateDecision(Decision.Block, $"approval:{approval.Id}:mismatch (approved {approval.Tool} {approval.ArgumentsHash[..12]}, got {request.Tool} {hash[..12]})", policy.Version);
    }

    /// <summary>
    /// The one entry point for every action, calls (from <see cref="ActionGateFilter"/>) and answers (from the loop)
    /// alike: decides <paramref name="action"/>, observes the decision and, for escalate and block, stores its log entry
    /// and step. Returns the decision with the step as it now stands (an allowed step is not stored yet: the executor or
    /// the loop journals what happens next).
    /// </summary>
    public async Task<HandledAction> DecideAsync(ProposedAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        var policy = CurrentPolicy();
        var request = action.Request;
        var decision = Decide(policy, request);
        var decidedBy = action.Approval is { } approval && decision.Decision == Decision.Allow ? "reviewer:" + approval.Reviewer : "policy";
        Observe(action, request, decision, policy, decidedBy);

        var step = action.Step with
        {
            Tool = request.Tool,
            Arguments = request.ArgumentsJson,
            ArgumentsHash = request.ArgumentsHash,
            Decision = decision.Decision,
            Rule = decision.Rule,
            DecidedBy = decidedBy,
            Temptation = request.Signals.Temptation,
            Classifier = request.Signals.Classifier,
            Mode = request.Signals.Mode ?? action.Step.Mode,
        };
        if (decision.Decision == Decision.Allow)
        {
            return new HandledAction(decision, step);
        }

        var escalate = decision.Decision == Decision.Escalate;
        step = step with
        {
            Status = escalate ? StepStatus.Pending : StepStatus.Blocked,
            // The model reads this; the policy version is for people and is in the log entry. A version in the prompt
            // would make the model's next step depend on an unrelated policy edit.
            Result = escalate ? null : ToolOutcome.NotRun(ToolOutcome.NotRunExitCode, $"blocked by policy: {decision.Rule}. Do something else or answer."),
            CompletedAt = escalate ? null : DateTimeOffset.UtcNow,
        };
        var entry = await _store.RecordGateEntryAsync(
            new ActionLogEntry
            {
                RunId = action.Run.Id,
                Step = step.Step,
                Tool = request.Tool,
                Arguments = request.ArgumentsJson,
                ArgumentsHash = request.ArgumentsHash,
                Decision = decision.Decision,
                Rule = decision.Rule,
                PolicyVersion = policy.Version,
                Model = action.Run.Model,
                Temptation = request.Signals.Temptation,
                Classifier = request.Signals.Classifier,
                Mode = step.Mode,
                FiredTag = decision.Tag,
                FiredSignal = decision.Signal,
                Fired = decision.Fired,
                Trace = ActionTrace.From(action.Trace, request.Signals),
                ReviewStatus = escalate ? "pending" : "none",
            },
            step,
            cancellationToken).ConfigureAwait(false);
        return new HandledAction(decision, step with { LogEntryId = entry.Id });
    }

    /// <summary>The <c>agent.action</c> span of one action, call or answer, tagged the same way for both.</summary>
    public static Activity? StartActivity(ProposedAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var activity = RuntimeTelemetry.Source.StartActivity("agent.action");
        activity?.SetTag("agent.run_id", action.Run.Id);
        activity?.SetTag("agent.step", action.Step.Step);
        activity?.SetTag("agent.tool", action.Call.Name);
        return activity;
    }

    /// <summary>The decision as a structured event, metrics and span tags.</summary>
    private void Observe(ProposedAction action, GateRequest request, GateDecision decision, ActionPolicy policy, string decidedBy)
    {
        var signals = request.Signals;
        var aggregateName = policy.AggregateFor(request.Tool);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            // Maps, not pre-joined text: the log's structured sinks (the CLEF file) write them as JSON objects to query.
            var temptation = signals.Temptation.ToDictionary(t => t.Key, t => t.Value.Get(aggregateName), StringComparer.Ordinal);
            var classifier = signals.Classifier.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
            LogDecision(_logger, action.Run.Id, action.Step.Step, request.Tool, decision.Decision, decision.Rule, policy.Version, decidedBy,
                decision.Tag ?? "none", decision.Signal, temptation, classifier, signals.ClassifierTruncated);
        }

        RuntimeTelemetry.Decisions.Add(
            1,
            new("decision", SqliteRunStore.Name(decision.Decision)),
            new("tool", request.Tool),
            new("tag", decision.Tag ?? "none"),
            new("signal", SqliteRunStore.Name(decision.Signal)));
        foreach (var (tag, value) in signals.Temptation)
        {
            RuntimeTelemetry.Temptation.Record(value.Get(aggregateName), new("tag", tag), new("tool", request.Tool));
        }

        foreach (var (tag, p) in signals.Classifier)
        {
            RuntimeTelemetry.Classifier.Record(p, new("tag", tag), new("tool", request.Tool));
        }

        Activity.Current?.SetTag("agent.decision", SqliteRunStore.Name(decision.Decision));
        Activity.Current?.SetTag("agent.rule", decision.Rule);
        Activity.Current?.SetTag("agent.policy_version", decision.PolicyVersion);
        Activity.Current?.SetTag("agent.fired_signal", SqliteRunStore.Name(decision.Signal));
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Decision {Decision} for {Tool} in run {RunId} step {Step} by {DecidedBy}: rule {Rule}, policy {PolicyVersion}, fired {FiredTag} by {FiredSignal}, temptation {Temptation}, classifier {Classifier} (truncated {ClassifierTruncated})")]
    private static partial void LogDecision(ILogger logger, string runId, int step, string tool, Decision decision, string rule, string policyVersion, string decidedBy, string firedTag, GateSignal firedSignal, IReadOnlyDictionary<string, double> temptation, IReadOnlyDictionary<string, double> classifier, bool classifierTruncated);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Policy reloaded: version {OldVersion} -> {NewVersion}")]
    private static partial void LogPolicyChanged(ILogger logger, string oldVersion, string newVersion);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "The edited Policy section is invalid and was not applied ({Failures}); policy {PolicyVersion} stays in force")]
    private static partial void LogPolicyRejected(ILogger logger, string failures, string policyVersion);
}
