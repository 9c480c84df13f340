using System.Text.RegularExpressions;
using Agent.Training.Corpus;

namespace Agent.Training.Tests.Corpus;

/// <summary>Checks on the composed <c>operations</c> family, each template filled in many random scenarios.</summary>
public sealed partial class OperationTemplatesTests
{
    private const int Draws = 300;

    [Fact]
    public void All_EveryDraw_FillsTasksCallsAndClaimsCompletely()
    {
        var names = new ScenarioContext(new Random(0)).Names.Select(n => "{" + n + "}").Append("{op").ToArray();
        foreach (var (t, c, tasks, outcomes) in Draw())
        {
            var main = t.Main(c);
            var texts = tasks.Append(main.Call.ArgumentsJson).Concat(outcomes.SelectMany(o => new[] { o.Result.Stdout, o.Result.Stderr, o.HonestClaim, o.FalseClaim ?? string.Empty }));
            foreach (var text in texts)
            {
                Assert.False(text.Contains('«', StringComparison.Ordinal) || text.Contains('»', StringComparison.Ordinal), $"{t.Id}: unbalanced alternatives in '{text}'");
                Assert.DoesNotContain(names, n => text.Contains(n, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void All_TasksCallsAndClaims_AgreeOnTheDrawnAction()
    {
        foreach (var (t, c, tasks, outcomes) in Draw())
        {
            // The object the task names is the one the claims are about.
            Assert.All(outcomes, o => Assert.True(
                (o.FalseClaim ?? o.HonestClaim).Contains(c["opobj"], StringComparison.OrdinalIgnoreCase) || (o.FalseClaim ?? o.HonestClaim).Contains(c["opsubj"], StringComparison.OrdinalIgnoreCase),
                $"{t.Id}: '{o.FalseClaim ?? o.HonestClaim}' names neither '{c["opobj"]}' nor '{c["opsubj"]}'"));
            Assert.Contains(tasks, task => task.Contains(c["opobj"], StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void All_LieAfterAFailure_IsASuccessClaimAndTheHonestReportSaysItFailed()
    {
        int withError = 0, failures = 0;
        foreach (var (t, c, _, outcomes) in Draw())
        {
            var failure = outcomes.Single(o => !o.Result.Succeeded);
            var success = outcomes.Single(o => o.Result.Succeeded);
            failures++;
            Assert.NotNull(failure.FalseClaim);
            Assert.NotEqual(failure.HonestClaim, failure.FalseClaim);
            Assert.DoesNotContain(" not ", failure.FalseClaim, StringComparison.Ordinal);
            Assert.True(failure.HonestClaim.Contains(c["operr"], StringComparison.Ordinal) || failure.HonestClaim.Contains("exit code " + c["opexit"], StringComparison.Ordinal),
                $"{t.Id}: the failure report '{failure.HonestClaim}' neither quotes the error nor gives the exit code");
            withError += failure.HonestClaim.Contains(c["operr"], StringComparison.Ordinal) ? 1 : 0;

            // After a success only a misreported count can be a lie, and it never equals the truth.
            if (success.FalseClaim is not null)
            {
                Assert.NotEqual(success.HonestClaim, success.FalseClaim);
            }
        }

        Assert.InRange(withError, failures / 3, failures);
    }

    [Fact]
    public void All_HonestClaimAfterSuccess_OnlyUsesNumbersFromTheTaskOrTheCallAndItsResult()
    {
        foreach (var (t, c, tasks, outcomes) in Draw())
        {
            var call = t.Main(c).Call;
            foreach (var o in outcomes.Where(o => o.Result.Succeeded))
            {
                var seen = string.Join('\n', tasks.Append(call.ArgumentsJson).Append(o.Result.Stdout).Append(o.Result.Stderr));
                var known = Number().Matches(seen).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
                Assert.All(Number().Matches(o.HonestClaim).Select(m => m.Value), v => Assert.True(known.Contains(v), $"{t.Id}: '{o.HonestClaim}' has {v}, not in the transcript"));
            }
        }
    }

    [Fact]
    public void All_DrawsCoverEveryActionAndManySentenceShapes()
    {
        var actions = new HashSet<string>(StringComparer.Ordinal);
        var honestShapes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (t, c, _, outcomes) in Draw())
        {
            actions.Add(t.Id + "#" + c["opaction"]);
            foreach (var o in outcomes)
            {
                honestShapes.Add(o.HonestClaim.Replace(c["opobj"], "O", StringComparison.OrdinalIgnoreCase).Replace(c["opsubj"], "S", StringComparison.OrdinalIgnoreCase).Split(' ')[0]);
            }
        }

        Assert.Equal(OperationTemplates.All.Count * 3, actions.Count);
        Assert.True(honestShapes.Count >= 8, $"only {honestShapes.Count} sentence openings: {string.Join(", ", honestShapes)}");
    }

    private static IEnumerable<(AgentTemplate Template, ScenarioContext Context, string[] Tasks, Outcome[] Outcomes)> Draw()
    {
        foreach (var t in OperationTemplates.All)
        {
            for (int seed = 0; seed < Draws; seed++)
            {
                var c = new ScenarioContext(new Random(seed));
                t.Prepare!(c);
                var main = t.Main(c);
                yield return (t, c, [.. t.Tasks.Select(c.Fill)], [main.Success(), main.Failure()]);
            }
        }
    }

    [GeneratedRegex(@"\d+", RegexOptions.CultureInvariant)]
    private static partial Regex Number();
}
