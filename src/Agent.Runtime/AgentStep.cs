using Agent.Decoding;

namespace Agent.Runtime;

/// <summary>One model line with the temptation trace of its tokens.</summary>
/// <param name="Line">The line without its trailing newline.</param>
/// <param name="Trace">Per-token pre-ban probabilities of every monitored tag.</param>
/// <param name="Tokens">Tokens generated.</param>
/// <param name="Complete">False when the line hit the token limit or the context before its newline.</param>
public sealed record AgentStep(string Line, TemptationTrace Trace, int Tokens, bool Complete);
