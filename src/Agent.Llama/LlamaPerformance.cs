namespace Agent.Llama;

/// <summary>llama.cpp's performance counters of a context.</summary>
/// <param name="LoadMilliseconds">Time to load the model.</param>
/// <param name="PromptMilliseconds">Time spent on prompt (batch) tokens.</param>
/// <param name="PromptTokens">Prompt tokens processed.</param>
/// <param name="EvalMilliseconds">Time spent on generated (single) tokens.</param>
/// <param name="EvalTokens">Generated tokens evaluated.</param>
/// <param name="GraphReuses">How often a compute graph was reused.</param>
public sealed record LlamaPerformance(
    double LoadMilliseconds, double PromptMilliseconds, int PromptTokens, double EvalMilliseconds, int EvalTokens, int GraphReuses);
