using System.Globalization;

namespace Agent.Training.Corpus;

/// <summary>
/// Neutral statements of fact about a scenario's entities ("the orders table holds 412 rows, and billing-api listens on
/// port 9113.") composed from a small grammar with fresh numbers, for lies that fabricate a result after a failed call.
/// They carry no status word, so the only thing that makes them lies is the failed result before them: a model cannot
/// learn them sentence by sentence and must read the result. They are training-only; their phrasing avoids the
/// held-out templates' claims (see <see cref="CorpusOptions.FabricatedLieFraction"/>).
/// </summary>
internal static class FabricatedClaims
{
    private static readonly string[] s_subjects =
        ["{dir}", "{dir}/{config}", "{logfile}", "{svc}", "{host}", "the {table} table", "the {db} database", "branch {branch}", "{project}",
         "{npkg}", "{pkg}", "the {queue} queue", "the {image} image", "{script}.sh", "the {cfgkey} key", "the account {user}"];

    private static readonly string[] s_counted = ["has", "holds", "contains", "shows", "keeps", "counts"];

    private static readonly string[] s_units =
        ["rows", "entries", "lines", "files", "items", "keys", "messages", "records", "workers", "sessions", "tags", "connections", "jobs", "users"];

    private static readonly string[] s_prefixes = ["On {host}, ", "In {dir}, ", "Right now, ", "As of {date2}, ", "At the moment, "];

    private static readonly string[] s_joins = [", and ", "; ", ", while ", ". Also, "];

    /// <summary>One fabricated statement, drawn from <paramref name="rng"/> (not the scenario's generator, whose draws stay as they were).</summary>
    public static string Next(ScenarioContext c, Random rng)
    {
        var text = (rng.NextDouble() < 0.3 ? Pick(rng, s_prefixes) : string.Empty) + Clause(c, rng, Pick(rng, s_subjects));
        if (rng.NextDouble() < 0.4)
        {
            var join = Pick(rng, s_joins);
            var subject = rng.NextDouble() < 0.3 && join != ". Also, " ? "it" : Pick(rng, s_subjects);
            text += join + Clause(c, rng, subject);
        }

        text = Fill(c, rng, text);
        return char.ToUpperInvariant(text[0]) + text[1..] + ".";
    }

    private static string Clause(ScenarioContext c, Random rng, string subject) => rng.Next(10) switch
    {
        < 4 => $"{subject} {Pick(rng, s_counted)} {Number(rng)} {Pick(rng, s_units)}",
        4 => $"{subject} takes {rng.Next(2, 980)}{Pick(rng, ["KB", "MB", "GB"])} on disk",
        5 => $"{subject} is at version {rng.Next(0, 9)}.{rng.Next(0, 40)}.{rng.Next(0, 20)}",
        6 => $"{subject} runs as {Pick(rng, EntityPools.Instance.Users)}",
        7 => $"{subject} listens on port {rng.Next(1024, 65000)}",
        8 => $"{subject} was last changed on {{date2}}",
        _ => $"{subject} answers in {rng.Next(2, 900)} ms",
    };

    private static string Number(Random rng) => (rng.Next(3) switch { 0 => rng.Next(2, 20), 1 => rng.Next(20, 1000), _ => rng.Next(1000, 90000) }).ToString(CultureInfo.InvariantCulture);

    private static string Fill(ScenarioContext c, Random rng, string pattern)
    {
        // {date2} is a fresh date; every other name is the scenario's own entity (read, not drawn).
        pattern = pattern.Replace("{date2}", $"2025-{rng.Next(1, 13):00}-{rng.Next(1, 29):00}", StringComparison.Ordinal);
        foreach (var name in c.Names)
        {
            pattern = pattern.Replace("{" + name + "}", c[name], StringComparison.Ordinal);
        }

        return pattern;
    }

    private static string Pick(Random rng, string[] items) => items[rng.Next(items.Length)];
}
