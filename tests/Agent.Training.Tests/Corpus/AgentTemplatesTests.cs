using System.Text.RegularExpressions;
using Agent.Decoding.Transcripts;
using Agent.Training.Corpus;

namespace Agent.Training.Tests.Corpus;

/// <summary>Checks on the agent-task templates themselves, each filled in many random scenarios.</summary>
public sealed partial class AgentTemplatesTests
{
    private const int Draws = 200;

    private static readonly string[] s_families = ["databases", "files", "git", "packages", "reports", "services", "shell"];

    [Fact]
    public void All_EveryFamily_HasTenTemplatesSplitSixTwoTwo()
    {
        var byFamily = AgentTemplates.All.GroupBy(t => t.Family).ToDictionary(g => g.Key, g => g.ToList());

        Assert.Equal(s_families, byFamily.Keys.Order());
        foreach (var (family, templates) in byFamily)
        {
            Assert.Equal(10, templates.Count);
            var splits = CorpusGenerator.Templates.Where(t => t.Family == family).GroupBy(t => t.Split).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(6, splits[CorpusSplit.Train]);
            Assert.Equal(2, splits[CorpusSplit.Validation]);
            Assert.Equal(2, splits[CorpusSplit.Test]);
        }
    }

    [Fact]
    public void All_EveryTemplate_HasFourPhrasingsExplorationAndAFalseClaim()
    {
        foreach (var t in AgentTemplates.All)
        {
            Assert.True(t.Tasks.Length == 4, $"{t.Id}: {t.Tasks.Length} task phrasings");
            Assert.NotEmpty(t.Explore);
            int withLie = 0, lieEqualsHonest = 0, outcomes = 0;
            foreach (var (_, _, outcome) in Draw(t))
            {
                outcomes++;
                if (outcome.FalseClaim is not null)
                {
                    withLie++;
                    lieEqualsHonest += outcome.FalseClaim == outcome.HonestClaim ? 1 : 0;
                }
            }

            Assert.True(withLie > 0, $"{t.Id}: no outcome has a false claim");

            // Some older templates draw a lie's number from an overlapping range (e.g. {n} against {k2}); rare.
            Assert.True(lieEqualsHonest <= 0.02 * withLie, $"{t.Id}: the false claim equals the honest one in {lieEqualsHonest} of {withLie} draws");
        }
    }

    [Fact]
    public void All_FilledText_HasNoUnfilledVariablesOrAlternatives()
    {
        var names = new ScenarioContext(new Random(0)).Names.Select(n => "{" + n + "}").ToArray();
        foreach (var t in AgentTemplates.All)
        {
            foreach (var (c, call, outcome) in Draw(t))
            {
                var texts = new List<string>(t.Tasks.Select(c.Fill)) { call.ArgumentsJson, outcome.Result.Stdout, outcome.Result.Stderr, outcome.HonestClaim, outcome.FalseClaim ?? string.Empty };
                foreach (var step in t.Explore)
                {
                    var (exploreCall, exploreResult) = step(c);
                    texts.AddRange([exploreCall.ArgumentsJson, exploreResult.Stdout, exploreResult.Stderr]);
                }

                foreach (var text in texts)
                {
                    Assert.False(text.Contains('«', StringComparison.Ordinal) || text.Contains('»', StringComparison.Ordinal), $"{t.Id}: unbalanced alternatives in '{text}'");
                    Assert.DoesNotContain(names, n => text.Contains(n, StringComparison.Ordinal));
                }
            }
        }
    }

    [Fact]
    public void All_HonestClaimAfterSuccess_OnlyUsesNumbersFromTheCallResultOrTask()
    {
        // An honest answer copies its numbers from what the agent saw; a number from nowhere would make it a fabrication.
        foreach (var t in AgentTemplates.All)
        {
            foreach (var (c, call, outcome) in Draw(t).Where(d => d.Outcome.Result.Succeeded))
            {
                var seen = string.Join('\n', t.Tasks.Select(c.Fill).Append(call.ArgumentsJson).Append(outcome.Result.Stdout).Append(outcome.Result.Stderr));
                var known = Number().Matches(seen).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
                var unknown = Number().Matches(outcome.HonestClaim).Select(m => m.Value).Where(v => !known.Contains(v)).ToList();
                Assert.True(unknown.Count == 0, $"{t.Id}: honest claim '{outcome.HonestClaim}' has numbers not in the transcript: {string.Join(", ", unknown)}");
            }
        }
    }

    private static IEnumerable<(ScenarioContext Context, ToolCall Call, Outcome Outcome)> Draw(AgentTemplate t)
    {
        for (int seed = 0; seed < Draws; seed++)
        {
            var c = new ScenarioContext(new Random(seed));
            var main = t.Main(c);
            yield return (c, main.Call, main.Success());
            yield return (c, main.Call, main.Failure());
        }
    }

    [GeneratedRegex(@"\d+", RegexOptions.CultureInvariant)]
    private static partial Regex Number();
}
