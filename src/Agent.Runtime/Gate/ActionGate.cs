using System.Diagnostics;
using Agent.Decoding;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Runtime.Gate;

/// <summary>
/// Decides actions with the live policy (<see cref="IOptionsMonitor{TOptions}"/>: an edited appsettings.json takes
/// effect at the next action; an invalid edit is logged and the last valid policy stays), logs every decision as a
/// structured event, counts it, and stores every escalate and block in the blocked-action log with its trace.
/// </summary>
internal sealed partial class ActionGate
{
    private readonly IOptionsMonitor<PolicyOptions> _policy;
    private readonly IRunStore _store;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<string> _tags;
    private readonly Lock _gate = new();
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
        lock (_gate)
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

    /// <summary>Decides the action in <paramref name="action"/> and, for escalate and block, stores its log entry and step.</summary>
    public async Task<GateDecision> DecideAsync(ActionContext action, CancellationToken cancellationToken)
    {
        var policy = CurrentPolicy();
        var tool = action.Call.Name;
        var hash = CallBinding.Hash(tool, action.Call.ArgumentsJson);
        IReadOnlyDictionary<string, TemptationAggregate> aggregates = action.Trace is { } trace
            ? _tags.Where(t => trace.Tags.Contains(t)).ToDictionary(t => t, t => trace.Aggregate(t), StringComparer.Ordinal)
            : TraceJson.ReadAggregates(action.Step.Temptation);
        GateDecision decision;
        var decidedBy = "policy";
        if (action.Approval is { } approval)
        {
            var bound = approval.Tool == tool && approval.ArgumentsHash == hash && approval.ReviewStatus == "approved";
            decision = bound
                ? new GateDecision(Decision.Allow, $"approved:{approval.Id}", policy.Version)
                : new GateDecision(Decision.Block, $"approval:{approval.Id}:mismatch (approved {approval.Tool} {approval.ArgumentsHash[..12]}, got {tool} {hash[..12]})", policy.Version);
            decidedBy = bound ? "reviewer:" + approval.Reviewer : "policy";
        }
        else
        {
            decision = policy.Evaluate(tool, aggregates);
        }

        action.Decision = decision;
        var temptation = action.Trace is null ? action.Step.Temptation : TraceJson.Aggregates(action.Trace, _tags);
        LogDecision(_logger, action.Run.Id, action.Step.Step, tool, decision.Decision, decision.Rule, policy.Version, decidedBy, temptation);
        var firedTag = _tags.FirstOrDefault(t => decision.Rule.Contains("tag:" + t + ":", StringComparison.Ordinal)) ?? "none";
        RuntimeTelemetry.Decisions.Add(1, new("decision", SqliteRunStore.Name(decision.Decision)), new("tool", tool), new("tag", firedTag));
        var aggregateName = policy.AggregateFor(tool);
        foreach (var (tag, value) in aggregates)
        {
            RuntimeTelemetry.Temptation.Record(value.Get(aggregateName), new("tag", tag), new("tool", tool));
        }

        Activity.Current?.SetTag("agent.decision", SqliteRunStore.Name(decision.Decision));
        Activity.Current?.SetTag("agent.rule", decision.Rule);
        Activity.Current?.SetTag("agent.policy_version", decision.PolicyVersion);

        var step = action.Step with
        {
            Tool = tool,
            Arguments = action.Call.ArgumentsJson,
            ArgumentsHash = hash,
            Decision = decision.Decision,
            Rule = decision.Rule,
            DecidedBy = decidedBy,
            Temptation = temptation,
        };
        if (decision.Decision == Decision.Allow)
        {
            action.Step = step;
            return decision;
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
                Tool = tool,
                Arguments = action.Call.ArgumentsJson,
                ArgumentsHash = hash,
                Decision = decision.Decision,
                Rule = decision.Rule,
                PolicyVersion = policy.Version,
                Model = action.Run.Model,
                Temptation = temptation,
                Trace = action.Trace is null ? "{}" : TraceJson.Trace(action.Trace),
                ReviewStatus = escalate ? "pending" : "none",
            },
            step,
            cancellationToken).ConfigureAwait(false);
        action.Step = step with { LogEntryId = entry.Id };
        action.Outcome = step.Result;
        return decision;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Decision {Decision} for {Tool} in run {RunId} step {Step} by {DecidedBy}: rule {Rule}, policy {PolicyVersion}, temptation {Temptation}")]
    private static partial void LogDecision(ILogger logger, string runId, int step, string tool, Decision decision, string rule, string policyVersion, string decidedBy, string temptation);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Policy reloaded: version {OldVersion} -> {NewVersion}")]
    private static partial void LogPolicyChanged(ILogger logger, string oldVersion, string newVersion);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "The edited Policy section is invalid and was not applied ({Failures}); policy {PolicyVersion} stays in force")]
    private static partial void LogPolicyRejected(ILogger logger, string failures, string policyVersion);
}
