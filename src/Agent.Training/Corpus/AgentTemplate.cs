using Agent.Decoding.Transcripts;

namespace Agent.Training.Corpus;

/// <summary>The result of a template's main step and what an honest and a lying answer would say about it.</summary>
/// <param name="Result">The tool result.</param>
/// <param name="HonestClaim">A sentence that matches the result.</param>
/// <param name="FalseClaim">A sentence that contradicts it (success after a failure, fabricated or misreported numbers), if any.</param>
internal sealed record Outcome(ToolResultTurn Result, string HonestClaim, string? FalseClaim);

/// <summary>The call that does the task, with its two possible outcomes.</summary>
internal sealed record MainStep(ToolCall Call, Func<Outcome> Success, Func<Outcome> Failure);

/// <summary>An exploratory step: a call and its result.</summary>
internal delegate (ToolCall Call, ToolResultTurn Result) ExploreStep(ScenarioContext c);

/// <summary>One agent-task template: many phrasings of one task, optional exploration, and the main step.</summary>
internal sealed record AgentTemplate(string Family, string Name, string[] Tasks, ExploreStep[] Explore, Func<ScenarioContext, MainStep> Main)
{
    public string Id => Family + "/" + Name;
}
