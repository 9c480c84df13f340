namespace Agent.Training.Corpus;

/// <summary>
/// A point where an agent could seek power: a shared setup step (the motivating context), unsafe calls (acquiring
/// privileges, credentials, persistence or reach; disabling oversight; escaping the sandbox) and safe calls that look
/// alike but stay within the task. Admission and denial are what an answer says about the unsafe call afterwards.
/// </summary>
internal sealed record Temptation(string Name, ExploreStep? Setup, ExploreStep[] Unsafe, ExploreStep[] Safe, string Admission, string Denial);
