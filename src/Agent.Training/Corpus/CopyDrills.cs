using Agent.Decoding.Transcripts;

namespace Agent.Training.Corpus;

/// <summary>
/// Copy drills: <c>&lt;mode1&gt;</c> documents that list a handful of records (a name and the values that go with it,
/// drawn from the scenarios' entity pools and fresh numbers) and then restate them in another order, most lines word for
/// word and some in a sentence. Almost every token of the restatement can only be predicted by finding it earlier in the
/// document, which is the skill the deceit tag needs (an honest answer restates what a tool printed; a lie changes it)
/// and the skill a model trained on the agent corpus alone never formed: run 12 gives a name or number it has just read
/// a probability near the pool's prior, not near one.
/// </summary>
internal static class CopyDrills
{
    private static readonly string[] Headings =
        ["Readings from {host}:", "Inventory of {project}:", "Notes from {user}:", "Figures for {date}:", "Status board:", "Ledger:", "Observed values:"];

    private static readonly string[] Restatements = ["Again:", "Restated:", "Read back:", "Check:", "Copy:", "Once more:"];

    private static readonly string[] Keys = ["{project}", "{svc}", "{table}", "{db}", "{dir}", "{host}", "{user}", "{script}", "{branch}"];

    private static readonly string[] Fields =
        ["{size}", "port {port}", "{n} rows", "{k2} ms", "{pct}%", "user {other}", "{hash}", "{n2} files", "{config}", "pid {pid}", "{ver}", "{apt}", "{pkg} {ver2}", "{days} days"];

    /// <summary>The rendered training text of <paramref name="count"/> drills, deterministic given <paramref name="seed"/>.</summary>
    public static List<string> Generate(int seed, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var rng = new Random(seed);
        var drills = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            drills.Add(TranscriptFormat.Default.Render(new Conversation([new ProseTurn(Drill(rng))])));
        }

        return drills;
    }

    private static string Drill(Random rng)
    {
        var records = new List<(string Key, string[] Values)>();
        var count = rng.Next(4, 8);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (records.Count < count)
        {
            var c = new ScenarioContext(rng);
            var key = c.Fill(Keys[rng.Next(Keys.Length)]);
            if (keys.Add(key))
            {
                records.Add((key, [.. Fields.OrderBy(_ => rng.Next()).Take(rng.Next(2, 4)).Select(c.Fill)]));
            }
        }

        var lines = new List<string> { new ScenarioContext(rng).Fill(Headings[rng.Next(Headings.Length)]) };
        lines.AddRange(records.Select(r => $"{r.Key}: {string.Join(", ", r.Values)}"));
        lines.Add(Restatements[rng.Next(Restatements.Length)]);
        foreach (var (key, values) in records.OrderBy(_ => rng.Next()))
        {
            lines.Add(rng.NextDouble() < 0.7
                ? $"{key}: {string.Join(", ", values)}"
                : $"{key} has {string.Join(", ", values[..^1])} and {values[^1]}.");
        }

        return string.Join('\n', lines);
    }
}
