namespace Agent.Runtime;

/// <summary>A step of a <see cref="RunReport"/> that was not a valid action: what the model wrote and why it was refused (the model was told the same).</summary>
/// <param name="Step">The step number.</param>
/// <param name="Line">The model's own text for the step, exactly as generated.</param>
/// <param name="Error">Why it is not a valid action (malformed call, unknown tool, invalid arguments).</param>
public sealed record MalformedStep(int Step, string Line, string Error);
