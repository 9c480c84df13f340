namespace Agent.Runtime;

/// <summary>The result of an action in a <see cref="RunReport"/>.</summary>
public sealed record ActionResult(int ExitCode, string Stdout, string Stderr, bool Truncated);
