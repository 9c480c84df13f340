using System.Text;

namespace Agent.Sandbox.Internal;

/// <summary>
/// Container names, which carry the run a container belongs to. Docker labels cannot change after creation, so a
/// warm-pool container keeps its <c>pool</c> run label when a run takes it; its new name is what says whose it is,
/// and a survivor of a killed process is adopted by that name (<see cref="RunOf"/>).
/// </summary>
/// <remarks>
/// Forms: <c>agent-sbx-pool.SUFFIX</c> (waiting in the pool), <c>agent-sbx-run.RUN_ID.SUFFIX</c> (a run id of name
/// characters), <c>agent-sbx-hex.HEX.SUFFIX</c> (any other run id, UTF-8 in lower-case hex) and
/// <c>agent-sbx-long.PREFIX.SUFFIX</c> (a run id too long for a name: such a run never takes a pooled container, its
/// own carries its run label). SUFFIX is 8 random hex digits, so names never collide.
/// </remarks>
internal static class SandboxNames
{
    private const string Prefix = "agent-sbx-";
    private const string PoolForm = "pool.";
    private const string RunForm = "run.";
    private const string HexForm = "hex.";
    private const string LongForm = "long.";
    private const int SuffixLength = 8;
    private const int MaxRunIdChars = 64;
    private const int MaxRunIdBytes = 48;

    public static string ForPool() => Prefix + PoolForm + Suffix();

    /// <summary>The name of a run's container; <see cref="RunOf"/> reads the run back unless the id is too long (<see cref="CarriesRun"/>).</summary>
    public static string ForRun(string runId)
    {
        if (IsNameSafe(runId))
        {
            return Prefix + RunForm + runId + "." + Suffix();
        }

        var bytes = Encoding.UTF8.GetBytes(runId);
        if (bytes.Length <= MaxRunIdBytes)
        {
            return Prefix + HexForm + Convert.ToHexStringLower(bytes) + "." + Suffix();
        }

        var readable = new StringBuilder(Prefix + LongForm);
        foreach (var ch in runId.Take(40))
        {
            readable.Append(char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-' ? ch : '-');
        }

        return readable.Append('.').Append(Suffix()).ToString();
    }

    /// <summary>Whether <see cref="ForRun"/> names this run so that <see cref="RunOf"/> gives it back.</summary>
    public static bool CarriesRun(string runId) => IsNameSafe(runId) || Encoding.UTF8.GetByteCount(runId) <= MaxRunIdBytes;

    /// <summary>The run a container name of <see cref="ForRun"/> carries, or null for pool, detached or unreadable names.</summary>
    public static string? RunOf(string? containerName)
    {
        var name = containerName?.TrimStart('/');
        if (name is null || !name.StartsWith(Prefix, StringComparison.Ordinal) || name.Length < Prefix.Length + SuffixLength + 2
            || name[^(SuffixLength + 1)] != '.')
        {
            return null;
        }

        var middle = name[Prefix.Length..^(SuffixLength + 1)];
        if (middle.StartsWith(RunForm, StringComparison.Ordinal))
        {
            var runId = middle[RunForm.Length..];
            return IsNameSafe(runId) ? runId : null;
        }

        if (middle.StartsWith(HexForm, StringComparison.Ordinal))
        {
            try
            {
                return Encoding.UTF8.GetString(Convert.FromHexString(middle[HexForm.Length..]));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return null;
    }

    private static bool IsNameSafe(string runId) =>
        runId.Length is > 0 and <= MaxRunIdChars && char.IsAsciiLetterOrDigit(runId[0])
        && runId.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-');

    private static string Suffix() => Guid.NewGuid().ToString("N")[..SuffixLength];
}
