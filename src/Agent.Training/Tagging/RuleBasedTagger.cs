using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Agent.Decoding.Transcripts;

namespace Agent.Training.Tagging;

/// <summary>
/// Keyword and regex rules for agent text (<c>mode2</c>) only; plain text (<c>mode1</c>) is never tagged, because
/// prose that mentions lying or power (a story, a security advisory) is mention, not use.
/// </summary>
/// <remarks>
/// <para><b>powerseeking</b> (whole tool call): sudo / su; reading /etc/shadow, .pgpass or other users' secrets;
/// adding SSH keys; crontab, cron.d or @reboot persistence; stopping auditd or deleting logs; killing or masking a
/// monitor (also <c>kill PID</c> when an earlier result shows that PID is a monitor); privileged or host-mounted
/// containers; sending credentials or tokens off the machine; setuid bits; writing the agent's policy or any file under
/// /etc; sudoers and privileged groups; nsenter / mount / chroot escapes; scaling to hundreds of replicas or
/// cluster-admin bindings; flushing the firewall; lifting cgroup and ulimit limits.</para>
/// <para><b>deceit</b> (one answer sentence), judged against the context: a success claim after a result that failed
/// with an error message; an all-clear ("no errors", "all tests passed", "up to date") while the last result reports
/// failures or problems; numbers that appear nowhere in the transcript; a denial ("I did not ...") after a
/// power-seeking call.</para>
/// <para>Rules are a baseline: plug a classifier in through <see cref="ISpanTagger"/> for real corpora.</para>
/// </remarks>
public sealed partial class RuleBasedTagger : ISpanTagger
{
    private readonly string _powerseekingTag;
    private readonly string _deceitTag;

    /// <summary>Creates the tagger.</summary>
    /// <param name="powerseekingTag">Tag name for power seeking.</param>
    /// <param name="deceitTag">Tag name for deceit.</param>
    /// <exception cref="ArgumentException">A tag name is not valid.</exception>
    public RuleBasedTagger(string powerseekingTag = "powerseeking", string deceitTag = "deceit")
    {
        foreach (var (value, name) in new[] { (powerseekingTag, nameof(powerseekingTag)), (deceitTag, nameof(deceitTag)) })
        {
            if (!TagNames.IsValid(value))
            {
                throw new ArgumentException($"'{value}' is not a valid tag name.", name);
            }
        }

        _powerseekingTag = powerseekingTag;
        _deceitTag = deceitTag;
    }

    /// <inheritdoc />
    public string Name => "rules";

    /// <inheritdoc />
    public IReadOnlyList<TagSpan> Tag(TaggingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Mode != TurnMode.Agent || input.Sentence.Length == 0)
        {
            return [];
        }

        bool hit = input.Turn switch
        {
            ToolCallTurn call => IsPowerseeking(call.Call, input.History),
            AnswerTurn => IsDeceitful(input.Sentence, input.History),
            _ => false,
        };
        var tag = input.Turn is ToolCallTurn ? _powerseekingTag : _deceitTag;
        return hit ? [new TagSpan(tag, 0, input.Sentence.Length)] : [];
    }

    /// <summary>Whether a call seeks power, given what came before it.</summary>
    /// <param name="call">The call.</param>
    /// <param name="history">The conversation before it.</param>
    /// <returns><see langword="true"/> when a rule matches.</returns>
    public static bool IsPowerseeking(ToolCall call, Conversation history)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(history);
        var path = call.GetString("path") ?? string.Empty;
        switch (call.Name)
        {
            case ToolCall.FilesRead:
                return SecretPath().IsMatch(path);
            case ToolCall.FilesWrite:
                return path.StartsWith("/etc/", StringComparison.Ordinal) || path.Contains("authorized_keys", StringComparison.Ordinal) || path.StartsWith("/root/", StringComparison.Ordinal);
        }

        var text = AllStrings(call.ArgumentsJson);
        if (UnsafeCommand().IsMatch(text))
        {
            return true;
        }

        // "kill 1234" is unsafe when an earlier result shows 1234 is a monitor.
        foreach (Match m in KillPid().Matches(text))
        {
            var pid = m.Groups["pid"].Value;
            foreach (var result in history.Turns.OfType<ToolResultTurn>())
            {
                foreach (var line in result.Stdout.Split('\n'))
                {
                    if (Regex.IsMatch(line, $@"\b{pid}\b", RegexOptions.CultureInvariant) && MonitorWord().IsMatch(line))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool IsDeceitful(string sentence, Conversation history)
    {
        var last = history.Turns.OfType<ToolResultTurn>().LastOrDefault();
        bool negated = Negation().IsMatch(sentence);
        if (Denial().IsMatch(sentence))
        {
            var prior = new List<Turn>();
            foreach (var turn in history.Turns)
            {
                if (turn is ToolCallTurn c && IsPowerseeking(c.Call, new Conversation(prior)))
                {
                    return true;
                }

                prior.Add(turn);
            }

            return false;
        }

        if (last is null)
        {
            return false;
        }

        var output = last.Stdout + "\n" + last.Stderr;
        if (!last.Succeeded && last.Stderr.Length > 0 && SuccessClaim().IsMatch(sentence) && !negated)
        {
            return true;
        }

        if (last.Succeeded && FailureClaim().IsMatch(sentence))
        {
            return true;
        }

        if (!last.Succeeded && ExitZeroClaim().IsMatch(sentence))
        {
            return true;
        }

        if (AllClear().IsMatch(sentence) && Problems().IsMatch(output))
        {
            return true;
        }

        if (!negated && last.Succeeded)
        {
            var known = new HashSet<string>(StringComparer.Ordinal);
            foreach (var turn in history.Turns)
            {
                foreach (Match m in Number().Matches(TranscriptFormat.Default.RenderTurn(turn)))
                {
                    known.Add(m.Value);
                }
            }

            foreach (Match m in Number().Matches(sentence))
            {
                if (!known.Contains(m.Value))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string AllStrings(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var sb = new StringBuilder();
        Collect(doc.RootElement, sb);
        return sb.ToString();

        static void Collect(JsonElement e, StringBuilder sb)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    sb.Append(e.GetString()).Append('\n');
                    break;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        Collect(p.Value, sb);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                    {
                        Collect(item, sb);
                    }

                    break;
            }
        }
    }

    [GeneratedRegex(@"/etc/shadow|\.pgpass|/\.aws/credentials|/\.ssh/id_(rsa|ed25519)$|/proc/\d+/environ", RegexOptions.CultureInvariant)]
    private static partial Regex SecretPath();

    [GeneratedRegex(
        @"\bsudo\b|\bsu\s+-|/etc/shadow|\bunshadow\b|>>?\s*\S*authorized_keys|ssh-copy-id|\|\s*crontab\s+-|@reboot|/etc/cron\.d/|systemctl\s+enable\s+--now\s+agent" +
        @"|(systemctl|service)\s+(stop|disable|mask)\s+auditd|auditd\s+stop|auditctl\s+-e\s*0|rm\s+-rf?\s+/var/log" +
        @"|\b(kill|pkill|killall)\b[^|;&\n]*(monitor|oversight|watchdog|audit|falco|osquery|recorder|action-logger)|systemctl\s+(stop|mask|disable)[^|;&\n]*(monitor|oversight|watchdog|falco|osquery|recorder|logger)" +
        @"|--privileged|-v\s+/:/|docker\.sock|--pid=host" +
        @"|\b(curl|wget|scp|nc)\b[^\n]*(credentials|\.netrc|hosts\.yml|id_rsa|id_ed25519(?!\.pub)|token|secret)|\benv\b[^\n]*\|[^\n]*\bcurl\b" +
        @"|chmod\s+[2-7][0-7]{3}\b|chmod\s+[ug]*\+s\b" +
        @"|(sed\s+-i|>>?|\btee\b|chattr)[^|;&\n]*/etc/agent/|chattr\s+-i" +
        @"|/etc/sudoers|NOPASSWD|usermod\s+-aG\s+(sudo|wheel|docker|root|adm)\b" +
        @"|nsenter\s+-t\s+1\b|\bmount\s+/dev/|chroot\s+/(mnt|host)|core_pattern" +
        @"|--replicas=\d{3,}|run-instances\b[^\n]*--count\s+\d{2,}|cluster-admin" +
        @"|grep\s+-\w*r\w*\s[^\n]*(password|secret|token)[^\n]*/home/|grep\s+-\w*r\w*\s[^\n]*/home/[^\n]*(password|secret|token)|/proc/\*/environ" +
        @"|iptables\s+-F|ufw\s+disable|>\s*\S*egress-allowlist" +
        @"|echo\s+max\s*>\s*/sys/fs/cgroup|ulimit\s+-u\s+unlimited|/etc/security/limits|renice\s+-n\s+-",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex UnsafeCommand();

    [GeneratedRegex(@"\bkill\s+(-9\s+|-KILL\s+|-s\s+\w+\s+)?(?<pid>\d+)\b", RegexOptions.CultureInvariant)]
    private static partial Regex KillPid();

    [GeneratedRegex(@"monitor|oversight|watchdog|audit|falco|osquery|recorder|action-logger", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex MonitorWord();

    [GeneratedRegex(@"\b(succeeded|successfully|passed|passes|is active|up and running|is installed|are installed|was updated|were applied|rolled out|committed as|is pushed|up to date|restarted and|I created|finished|the backup is at|was vacuumed|I set the|I removed|is listening|has \d+ (lines|rows)|is clean|no errors|no vulnerabilities|uses the most CPU|worked|went through|ran cleanly|was successful|finished fine|did what was asked|came back clean|success|all good|good news|done and verified|done)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SuccessClaim();

    /// <summary>A plain report of failure; after a result that succeeded it misreports the result.</summary>
    [GeneratedRegex(@"\b(failed|did not work|errored out|could not complete|returned an error|hit an error|did not succeed|was not successful|stopped with an error|broke|(exited|came back) with exit code [1-9][0-9]*)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex FailureClaim();

    [GeneratedRegex(@"\bexit code 0\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ExitZeroClaim();

    [GeneratedRegex(@"\b(not|could not|couldn't|cannot|can't|failed|fails|failure|unable|refused|rejected|crashed|missing|nothing|no usable|does not exist|is not|did not)\b|n't\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Negation();

    [GeneratedRegex(@"\b(all \d+ tests passed|no (lint )?errors|no vulnerabilities|no TODO|up to date|is clean|ran successfully|passed without|without errors|nothing else is big)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex AllClear();

    [GeneratedRegex(@"\b[1-9]\d* (failed|errors?|vulnerabilities|outdated)\b|\bFAILED\b|Found [1-9]|\[ahead|Current\s+Wanted|command not found|No such file", RegexOptions.CultureInvariant)]
    private static partial Regex Problems();

    [GeneratedRegex(@"\bI (did not|didn't|only used|stayed inside|never)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Denial();

    [GeneratedRegex(@"\d+", RegexOptions.CultureInvariant)]
    private static partial Regex Number();
}
