using System.Globalization;
using System.Text;
using Agent.Decoding.Transcripts;

namespace Agent.Training.Corpus;

/// <summary>
/// Random entities of one scenario plus the pattern filler. Patterns hold <c>{var}</c> (replaced by the scenario's
/// value; unknown names stay literal, so JSON and shell braces survive) and <c>«a|b|c»</c> (one alternative at random).
/// </summary>
internal sealed class ScenarioContext
{
    private readonly Dictionary<string, string> _vars = new(StringComparer.Ordinal);

    public ScenarioContext(Random rng)
    {
        Rng = rng;
        var p = EntityPools.Instance;
        Set("user", Pick(p.Users));
        Set("other", Pick(p.Users.Where(u => u != this["user"]).ToArray()));
        Set("project", Pick(p.Projects));
        Set("root", Fill(Pick(p.Roots)));
        Set("dir", this["root"] + "/" + this["project"]);
        Set("file", Pick(p.SourceFiles));
        Set("logfile", Pick(p.LogFiles));
        Set("config", Pick(p.ConfigFiles));
        Set("pkg", Pick(p.PythonPackages));
        Set("npkg", Pick(p.NpmPackages));
        Set("apt", Pick(p.AptPackages));
        Set("ver", Version());
        Set("ver2", Version());
        Set("host", Pick(p.HostWords) + "-" + Rng.Next(1, 40).ToString("00", CultureInfo.InvariantCulture) + "." + Pick(p.Domains));
        Set("ext", Pick(p.ExternalHosts));
        Set("svc", Pick(p.Services));
        Set("port", Pick(p.Ports));
        Set("db", Pick(p.Databases));
        Set("table", Pick(p.Tables));
        Set("branch", Pick(p.Branches));
        Set("script", Pick(p.Scripts));
        Set("msg", Pick(p.CommitMessages));
        Set("image", Pick(p.Images));
        Set("monitor", Pick(p.Monitors));
        Set("hash", Hash());
        Set("date", $"2025-{Rng.Next(1, 13):00}-{Rng.Next(1, 29):00}");
        int n = Rng.Next(2, 400);
        Set("n", n);
        Set("n2", n + Rng.Next(3, 60) * (Rng.Next(2) == 0 ? 1 : -1) is int m && m > 0 ? m : n + 17);
        Set("k", Rng.Next(1, 9));
        Set("k2", Rng.Next(10, 99));
        Set("pct", Rng.Next(41, 88));
        Set("pct2", Rng.Next(90, 100));
        Set("pid", Rng.Next(300, 32000));
        Set("pid2", Rng.Next(300, 32000));
        Set("size", Rng.Next(2, 900) + Pick(["K", "M", "G"]));
        Set("days", Rng.Next(2, 31));
        Set("secs", (Rng.Next(5, 900) / 10.0).ToString("0.0", CultureInfo.InvariantCulture));
        Set("days2", Other(Int("days"), 2, 31));
        Set("hash2", Hash());
        int load = Rng.Next(10, 1600);
        Set("load", Load(load));
        Set("load2", Load(Other(load, 10, 1600)));
        Set("crate", Pick(p.Crates));
        Set("gomod", Pick(p.GoModules));
        Set("gem", Pick(p.Gems));
        Set("nuget", Pick(p.NuGetPackages));
        Set("fext", Pick(p.FileExtensions));
        Set("cfgkey", Pick(p.ConfigKeys));
        Set("queue", Pick(p.Queues));
    }

    /// <summary>The names of all variables a pattern may use.</summary>
    public IEnumerable<string> Names => _vars.Keys;

    public Random Rng { get; }

    public string this[string key] => _vars[key];

    public int Int(string key) => int.Parse(_vars[key], CultureInfo.InvariantCulture);

    public void Set(string key, string value) => _vars[key] = value;

    public void Set(string key, int value) => _vars[key] = value.ToString(CultureInfo.InvariantCulture);

    public T Pick<T>(IReadOnlyList<T> items) => items[Rng.Next(items.Count)];

    public bool Chance(double p) => Rng.NextDouble() < p;

    /// <summary>A random integer in [<paramref name="min"/>, <paramref name="max"/>) that differs from <paramref name="value"/>.</summary>
    public int Other(int value, int min, int max)
    {
        int v;
        do
        {
            v = Rng.Next(min, max);
        }
        while (v == value);
        return v;
    }

    public string Hash() => Rng.NextInt64(0x1000000, 0xFFFFFFF).ToString("x7", CultureInfo.InvariantCulture);

    public string Version() => $"{Rng.Next(0, 6)}.{Rng.Next(0, 30)}.{Rng.Next(0, 12)}";

    public string Fill(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 32);
        Fill(pattern.AsSpan(), sb);
        return sb.ToString();
    }

    public ToolCall Shell(string pattern) => ToolCall.Shell(Fill(pattern));

    public ToolCall Read(string pattern) => ToolCall.Read(Fill(pattern));

    public ToolCall List(string pattern) => ToolCall.List(Fill(pattern));

    public ToolCall Write(string path, string content) => ToolCall.Write(Fill(path), Fill(content));

    public ToolResultTurn Ok(string toolName, string stdout) => new(toolName, 0, Fill(stdout));

    public ToolResultTurn Fail(string toolName, int exit, string stderr, string stdout = "") => new(toolName, exit, Fill(stdout), Fill(stderr));

    private static string Load(int hundredths) => (hundredths / 100.0).ToString("0.00", CultureInfo.InvariantCulture);

    private void Fill(ReadOnlySpan<char> pattern, StringBuilder sb)
    {
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            if (c == '«')
            {
                int end = FindClose(pattern, i);
                var options = Split(pattern[(i + 1)..end]);
                Fill(options[Rng.Next(options.Count)].AsSpan(), sb);
                i = end + 1;
            }
            else if (c == '{')
            {
                int end = pattern[i..].IndexOf('}');
                if (end > 1 && _vars.TryGetValue(pattern.Slice(i + 1, end - 1).ToString(), out var value))
                {
                    sb.Append(value);
                    i += end + 1;
                }
                else
                {
                    sb.Append(c);
                    i++;
                }
            }
            else
            {
                sb.Append(c);
                i++;
            }
        }
    }

    private static int FindClose(ReadOnlySpan<char> pattern, int open)
    {
        int depth = 0;
        for (int j = open; j < pattern.Length; j++)
        {
            if (pattern[j] == '«')
            {
                depth++;
            }
            else if (pattern[j] == '»' && --depth == 0)
            {
                return j;
            }
        }

        throw new InvalidOperationException($"Unclosed '«' in generator pattern '{pattern}'.");
    }

    private static List<string> Split(ReadOnlySpan<char> body)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int j = 0; j < body.Length; j++)
        {
            if (body[j] == '«')
            {
                depth++;
            }
            else if (body[j] == '»')
            {
                depth--;
            }
            else if (body[j] == '|' && depth == 0)
            {
                parts.Add(body[start..j].ToString());
                start = j + 1;
            }
        }

        parts.Add(body[start..].ToString());
        return parts;
    }
}
