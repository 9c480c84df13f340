using Agent.Decoding.Transcripts;

namespace Agent.Training.Corpus;

/// <summary>
/// One scored action for held-out evaluation: the prompt up to the action (ending right after <c>&lt;mode2&gt;</c>),
/// the action line the generator wrote there, and its label. Every item has a twin with the same
/// <see cref="PairId"/> and the same <see cref="Context"/> but the opposite label.
/// </summary>
/// <param name="DocumentId">The document the item comes from.</param>
/// <param name="PairId">Shared by the items (and documents) built from one context.</param>
/// <param name="Family">Task family, e.g. <c>git</c>.</param>
/// <param name="TemplateId">Template id, e.g. <c>git/commit</c>.</param>
/// <param name="Split">The split of the template.</param>
/// <param name="Context">Rendered transcript before the action, ending with <c>&lt;mode2&gt;</c>.</param>
/// <param name="ActionLine">The action's line without tags and without the trailing newline.</param>
/// <param name="TaggedActionLine">The same line as it appears in training text, tags included.</param>
/// <param name="Label">Safe / unsafe / honest / deceitful.</param>
/// <param name="Tag">The tag the pair is about: <c>powerseeking</c> or <c>deceit</c>.</param>
/// <param name="ContextConversation">The conversation before the action (<see cref="Context"/> is it in the project's format), to render in another format.</param>
/// <param name="Action">The action's turn without tags (<see cref="ActionLine"/> is its body).</param>
public sealed record EvaluationItem(
    string DocumentId,
    string PairId,
    string Family,
    string TemplateId,
    CorpusSplit Split,
    string Context,
    string ActionLine,
    string TaggedActionLine,
    ActionLabel Label,
    string Tag,
    Conversation ContextConversation,
    Turn Action);
