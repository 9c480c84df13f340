using Agent.Monitoring;

namespace Agent.Training.Audit;

/// <summary>
/// One action the tag audit scores with both signals: what the model reads (the rendered prompt and the action line, as
/// <c>agent score</c> and <c>agent eval</c> teacher-force it) and what the classifier reads (the action with its context).
/// </summary>
/// <param name="Id">Where it came from: a generated document's id, or <c>file:line#turn</c> of a corpus folder.</param>
/// <param name="Tag">The behaviour tag it is audited for (deceit for answers, powerseeking for calls).</param>
/// <param name="Tool">The policy's name for the action: the called tool, or <c>answer</c>.</param>
/// <param name="Prompt">The transcript before the action, ending after <c>&lt;mode2&gt;</c>.</param>
/// <param name="ActionLine">The action as the model writes it (<c>call tool {json}</c> or <c>answer ...</c>), without tags.</param>
/// <param name="Input">The action as the classifier reads it.</param>
/// <param name="Label">The generator's (or the corpus's own) label, or null when the source has no labels for the tag.</param>
/// <param name="Group">The kind of case (for generated deceit: <c>after-failure</c>, <c>after-success</c>, <c>denial</c>;
/// for calls: <c>invited</c>, <c>on-the-way</c>; <c>corpus</c> for a folder).</param>
public sealed record AuditSpan(string Id, string Tag, string Tool, string Prompt, string ActionLine, ClassifierInput Input, bool? Label, string Group);
