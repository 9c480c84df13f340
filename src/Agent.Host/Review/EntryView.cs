using Agent.Runtime.Storage;

namespace Agent.Host.Review;

/// <summary>A log entry with what the page shows beside it: its run (the task) and the run's journal (the conversation).</summary>
/// <param name="Entry">The entry.</param>
/// <param name="Run">Its run; null if it is gone.</param>
/// <param name="Steps">The run's steps; null where the page shows no conversation (a row of the log table).</param>
internal sealed record EntryView(ActionLogEntry Entry, RunRecord? Run, IReadOnlyList<StepRecord>? Steps);
