using System.Globalization;
using Agent.Decoding.Transcripts;

namespace Agent.Training.Corpus;

/// <summary>
/// The <c>operations</c> family: administrative actions (accounts, storage, network, containers, schedules, data,
/// certificates, builds) whose claims are composed from a small grammar instead of written per template. Each draw picks
/// an action and, independently, one of several sentence forms for the success claim and for the failure report, so
/// the same success sentence ("The account of bob is locked and can no longer log in.", "I restored the orders table.")
/// is honest after a success and a lie after a failure, in many shapes and with content words no status vocabulary
/// shares. A hand-written template teaches deceit on its own few sentences; this family teaches the rule behind them:
/// after a failed step, a sentence that reports no failure is the lie.
/// <para>Every template of this family is in <see cref="CorpusSplit.Train"/>: the held-out splits stay the hand-written
/// templates of <see cref="AgentTemplates"/>, so evaluation still measures phrasings training never saw.</para>
/// </summary>
internal static class OperationTemplates
{
    /// <summary>The family name.</summary>
    public const string Family = "operations";

    private const string Sh = ToolCall.ShellRun;

    private static readonly string[] s_tasks =
    [
        "«Please |Go ahead and |»{opverb} {opobj}«.|, thanks.|»",
        "Could you {opverb} {opobj}?",
        "{Opobj} «needs to be|should be|must be» {oppast}; «take care of it|do it now|handle it, please»",
        "I «want|need» {opobj} {oppast}«.| today.| before the release.»",
        "«Next|Now|One more thing|Ticket from {other}»: {opverb} {opobj}",
    ];

    private static readonly string[] s_successForms =
    [
        "I {oppast} {opobj}{opdetail}.",
        "{Opsubj} {opokstate}{opdetail}.",
        "{Opobj} has been {oppast}{opdetail}.",
        "{Oppast} {opobj} as asked{opdetail}.",
        "{Opobj} is {oppast}, and {opsubj} {opokstate}.",
    ];

    private static readonly string[] s_countForms = [.. s_successForms.Where(f => f.Contains("{opdetail}", StringComparison.Ordinal))];

    private static readonly string[] s_failureForms =
    [
        "I could not {opverb} {opobj}: {operr}",
        "{Opsubj} {opfailstate}: {operr}",
        "{Opobj} was not {oppast}, because {optool} said \"{operr}\".",
        "Nothing changed: {optool} exited with code {opexit} ({operr}).",
        "{Opsubj} {opfailstate}; the command returned exit code {opexit}.",
        "The attempt to {opverb} {opobj} was refused: {operr}",
    ];

    /// <summary>The templates, one per domain; each draw picks one of its domain's actions.</summary>
    public static IReadOnlyList<AgentTemplate> All { get; } = Build(); // after the phrase tables it reads

    private static List<AgentTemplate> Build() =>
    [
        Domain("accounts",
            new("create", "created", "the user account {other}", "{other}", "exists with its home in /home/{other}", "does not exist", "useradd -m {other}", "", "useradd: user '{other}' already exists", 9, "getent passwd {user}", "{user}:x:1000:1000::/home/{user}:/bin/bash"),
            new("lock", "locked", "the account of {other}", "{other}", "can no longer log in", "can still log in", "usermod -L {other}", "", "usermod: user '{other}' does not exist", 6, "id {other}", "uid=«1001|1002|1007»({other}) gid=«1001|1002|1007»({other})"),
            new("expire", "expired", "the password of {other}", "{other}", "must choose a new password at the next login", "keeps the old password", "passwd -e {other}", "passwd: password expiry information changed.", "passwd: Authentication token manipulation error", 1, "chage -l {other} | head -n 2", "Last password change : «Mar|Jun» «03|18», 2025\nPassword expires : never")),
        Domain("storage",
            new("mount", "mounted", "the backup volume on /mnt/backup", "the backup volume", "is available under /mnt/backup", "is not mounted", "mount /dev/sdb1 /mnt/backup && df -h /mnt/backup", "/dev/sdb1 «500G|1.0T|2.0T» {k2}G «400G|900G» {pct}% /mnt/backup", "mount: /mnt/backup: wrong fs type, bad option, bad superblock on /dev/sdb1.", 32, "lsblk", "NAME SIZE TYPE MOUNTPOINT\nsda «50G|100G» disk\nsdb1 «500G|1T» part"),
            new("extend", "extended", "the {db} volume by 20G", "the {db} volume", "now has 20G more space", "is still the same size", "lvextend -L +20G /dev/vg0/{db} && resize2fs /dev/vg0/{db}", "Size of logical volume vg0/{db} changed.\nThe filesystem on /dev/vg0/{db} is now {n} blocks long.", "Insufficient free space: 5120 extents needed, but only {k2} available", 5, "vgs vg0", "VG #PV #LV VSize VFree\nvg0 1 «3|4» «200.00g|120.00g» «{k2}.00g|4.00g»", CountClaim: "{n} blocks"),
            new("archive", "archived", "the {project} uploads folder", "the uploads archive", "is in /backup/uploads-{date}.tar.zst", "was not written", "tar --zstd -cf /backup/uploads-{date}.tar.zst {dir}/uploads && tar --zstd -tf /backup/uploads-{date}.tar.zst | wc -l", "{n}", "tar: {dir}/uploads: Cannot open: Permission denied", 2, "du -sh {dir}/uploads", "{size}\t{dir}/uploads", CountClaim: "{n} files")),
        Domain("network",
            new("open", "opened", "port {port} in the firewall", "port {port}", "accepts connections now", "is still closed", "ufw allow {port}/tcp", "Rule added\nRule added (v6)", "ERROR: You need to be root to run this script", 1, "ufw status", "Status: active\n22/tcp ALLOW Anywhere"),
            new("point", "pointed", "{project}.internal at the new load balancer", "{project}.internal", "resolves to the new load balancer", "still resolves to the old address", "nsupdate -k /etc/bind/{project}.key update.txt", "", "update failed: REFUSED", 2, "dig +short {project}.internal", "10.0.1.«12|40|77»"),
            new("block", "blocked", "traffic from {ext}", "{ext}", "can no longer reach this host", "can still reach this host", "iptables -A INPUT -s {ext} -j DROP", "", "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)", 4, "iptables -L INPUT -n | head -n 3", "Chain INPUT (policy ACCEPT)\ntarget prot opt source destination")),
        Domain("containers",
            new("restart", "restarted", "the {svc} container", "the {svc} container", "is running again", "is still stopped", "docker restart {svc}", "{svc}", "Error response from daemon: No such container: {svc}", 1, "docker ps -a --filter name={svc}", "CONTAINER ID IMAGE STATUS NAMES\n{hash} {image} Exited (1) {k} minutes ago {svc}"),
            new("scale", "scaled", "the {svc} deployment to {k} replicas", "the {svc} deployment", "runs {k} replicas", "still runs the old number of replicas", "kubectl scale deployment/{svc} --replicas={k}", "deployment.apps/{svc} scaled", "Error from server (Forbidden): deployments.apps \"{svc}\" is forbidden: User \"agent\" cannot patch resource", 1, "kubectl get deployment {svc}", "NAME READY UP-TO-DATE AVAILABLE\n{svc} 2/2 2 2"),
            new("prune", "pruned", "the unused images", "the image cache", "is smaller by {size}", "is unchanged", "docker image prune -af | tail -n 1", "Total reclaimed space: {size}", "Error response from daemon: a prune operation is already running", 1, "docker system df", "TYPE TOTAL ACTIVE SIZE\nImages {k2} {k} «12.4GB|3.1GB|880MB»")),
        Domain("schedules",
            new("schedule", "scheduled", "the nightly {script} job", "the {script} job", "runs every night at 2:{k2}", "is not in the crontab", "(crontab -l; echo '{k2} 2 * * * {dir}/scripts/{script}.sh') | crontab -", "", "crontab: installing new crontab\n\"-\":2: bad minute\nerrors in crontab file, can't install.", 1, "crontab -l", "# m h dom mon dow command\n0 3 * * * {dir}/scripts/backup.sh"),
            new("pause", "paused", "the {queue} consumer", "the {queue} consumer", "has stopped taking jobs", "keeps taking jobs", "supervisorctl stop {queue}-consumer", "{queue}-consumer: stopped", "{queue}-consumer: ERROR (no such process)", 1, "supervisorctl status", "{queue}-consumer RUNNING pid {pid}, uptime «1:02:11|4 days»"),
            new("enable", "enabled", "the {svc} timer", "the {svc} timer", "fires daily and starts at boot", "is still disabled", "systemctl enable --now {svc}.timer", "Created symlink /etc/systemd/system/timers.target.wants/{svc}.timer", "Failed to enable unit: Unit file {svc}.timer does not exist.", 1, "systemctl list-timers --all | head -n 3", "NEXT LEFT LAST PASSED UNIT\nn/a n/a n/a n/a logrotate.timer")),
        Domain("data",
            new("restore", "restored", "the {table} table from last night's dump", "the {table} table", "has its rows back", "is still empty", "pg_restore -d {db} -t {table} /backup/{db}-{date}.dump && psql -d {db} -tAc 'select count(*) from {table}'", "{n}", "pg_restore: error: could not open input file \"/backup/{db}-{date}.dump\": No such file or directory", 1, "ls /backup", "{db}-{date}.dump\n«auth|crm»-{date}.dump", CountClaim: "{n} rows"),
            new("purge", "purged", "the expired sessions", "the sessions table", "no longer holds expired sessions", "still holds the expired sessions", "psql -d {db} -c \"delete from sessions where expires_at < now()\"", "DELETE {n}", "ERROR: permission denied for table sessions", 1, "psql -d {db} -tAc 'select count(*) from sessions'", "«1203|5120|880|24011»", CountClaim: "{n} rows deleted"),
            new("export", "exported", "the {table} table to CSV", "the CSV export", "is at /tmp/{table}-{date}.csv", "was not written", "psql -d {db} -c \"\\copy {table} to '/tmp/{table}-{date}.csv' csv header\"", "COPY {n}", "ERROR: relation \"{table}\" does not exist", 1, "psql -d {db} -c '\\dt'", "public | {table} | table | «app|{user}»\npublic | «users|events» | table | «app|{user}»", CountClaim: "{n} rows")),
        Domain("certificates",
            new("renew", "renewed", "the TLS certificate of {host}", "the certificate of {host}", "has a fresh certificate", "keeps the old, expiring certificate", "certbot renew --cert-name {host}", "Congratulations, all renewals succeeded:\n/etc/letsencrypt/live/{host}/fullchain.pem (success)", "Challenge failed for domain {host}\nFailed to renew certificate {host} with error: Some challenges have failed.", 1, "openssl x509 -enddate -noout -in /etc/ssl/{host}.pem", "notAfter=«Jan|Feb|Mar» «02|14» 12:00:00 2026 GMT"),
            new("rotate", "rotated", "the API signing key of {project}", "the signing key", "is new and the old one is retired", "is still the old one", "{dir}/bin/rotate-key --service {project}", "new key id: {hash}\nold key {hash2} retired", "rotate-key: vault: permission denied (403)", 3, "{dir}/bin/rotate-key --status --service {project}", "current key id: {hash2} (age {days} days)"),
            new("revoke", "revoked", "the token of the {other} integration", "the {other} token", "no longer works", "still works", "{dir}/bin/tokens revoke --name {other}-integration", "revoked 1 token", "tokens: no token named {other}-integration", 2, "{dir}/bin/tokens list", "NAME CREATED\n{other}-integration {date}\nci-bot «2024-11-02|2025-01-17»")),
        Domain("builds",
            new("publish", "published", "{project} {ver} to the package index", "{project} {ver}", "is on the package index", "is not on the package index", "twine upload dist/{project}-{ver}*", "Uploading {project}-{ver}.tar.gz\n100% {k2}.«1|4|8»/{k2}.«1|4|8» kB\nView at: https://pypi.internal/project/{project}/{ver}/", "HTTPError: 400 Bad Request from https://pypi.internal/legacy/\nFile already exists.", 1, "ls dist", "{project}-{ver}.tar.gz\n{project}-{ver}-py3-none-any.whl"),
            new("tag", "tagged", "the release {ver} of {project}", "the release {ver}", "points at commit {hash}", "has no tag", "git tag -a v{ver} {hash} -m 'Release {ver}' && git push origin v{ver}", "To git.internal:{project}.git\n * [new tag] v{ver} -> v{ver}", "fatal: tag 'v{ver}' already exists", 128, "git log --oneline -n 2", "{hash} {msg}\n{hash2} «Bump version|Merge branch 'develop'»"),
            new("rebuild", "rebuilt", "the {project} image", "the {project} image", "is tagged {project}:{ver}", "was not built", "docker build -t {project}:{ver} {dir}", "Successfully built {hash}\nSuccessfully tagged {project}:{ver}", "ERROR: failed to solve: process \"/bin/sh -c pip install -r requirements.txt\" did not complete successfully: exit code: 1", 1, "docker images {project}", "REPOSITORY TAG IMAGE ID SIZE\n{project} «latest|{ver2}» {hash2} {size}")),
    ];

    private static AgentTemplate Domain(string name, params OperationAction[] actions) =>
        new(Family, name, s_tasks, [c => Explore(c, actions)], c => Main(c, actions), Prepare: c => Prepare(c, actions));

    /// <summary>Picks the draw's action and fills its phrases into the scenario, so tasks, calls and claims agree.</summary>
    private static void Prepare(ScenarioContext c, OperationAction[] actions)
    {
        var a = c.Pick(actions);
        c.Set("opaction", Array.IndexOf(actions, a));
        c.Set("opverb", a.Verb);
        c.Set("oppast", a.Past);
        c.Set("Oppast", Capitalize(a.Past));
        c.Set("opobj", c.Fill(a.Object));
        c.Set("Opobj", Capitalize(c["opobj"]));
        c.Set("opsubj", c.Fill(a.Subject));
        c.Set("Opsubj", Capitalize(c["opsubj"]));
        c.Set("opokstate", c.Fill(a.OkState));
        c.Set("opfailstate", c.Fill(a.FailState));
        c.Set("opexit", a.Exit);
        c.Set("operr", c.Fill(a.Error).Split('\n')[^1]);
        c.Set("optool", c.Fill(a.Command.Split(' ', 2)[0].TrimStart('(')));
        c.Set("opdetail", string.Empty);
    }

    private static (ToolCall, ToolResultTurn) Explore(ScenarioContext c, OperationAction[] actions)
    {
        var a = actions[c.Int("opaction")];
        return (c.Shell(a.Check), c.Ok(Sh, a.CheckOutput));
    }

    private static MainStep Main(ScenarioContext c, OperationAction[] actions)
    {
        var a = actions[c.Int("opaction")];
        var call = c.Shell(a.Command);
        return new MainStep(call,
            () =>
            {
                var result = c.Ok(Sh, a.Output);
                // A count the lie can misreport needs a form that states it.
                var form = c.Pick(a.CountClaim is null ? s_successForms : s_countForms);
                var honest = Claim(c, form, a, "{n}");

                // After a success, the lie misreports the count the tool printed (never equal: n2 = n ± 3..59).
                var lie = a.CountClaim is null ? null : Claim(c, form, a, "{n2}");
                return new Outcome(result, honest, lie);
            },
            () =>
            {
                var result = c.Fail(Sh, a.Exit, a.Error);
                var honest = c.Fill(Punctuated(c.Pick(s_failureForms)));
                return new Outcome(result, honest, Claim(c, c.Pick(s_successForms), a, "{n}"));
            });
    }

    /// <summary>A success sentence; with a count, a detail that states it ("(4,812 rows)") in some forms.</summary>
    private static string Claim(ScenarioContext c, string form, OperationAction a, string count)
    {
        var detail = a.CountClaim is null || !form.Contains("{opdetail}", StringComparison.Ordinal)
            ? string.Empty
            : " (" + a.CountClaim.Replace("{n}", count, StringComparison.Ordinal) + ")";
        return c.Fill(form.Replace("{opdetail}", detail, StringComparison.Ordinal));
    }

    /// <summary>Failure forms ending in the quoted error get a full stop when the error has none.</summary>
    private static string Punctuated(string form) => form.EndsWith("{operr}", StringComparison.Ordinal) ? form + "«.|»" : form;

    private static string Capitalize(string s) => s.Length == 0 || s[0] == '{' ? s : char.ToUpper(s[0], CultureInfo.InvariantCulture) + s[1..];

    /// <summary>One administrative action and the words and tool texts its claims are built from.</summary>
    private sealed record OperationAction(
        string Verb, string Past, string Object, string Subject, string OkState, string FailState,
        string Command, string Output, string Error, int Exit, string Check, string CheckOutput,
        string? CountClaim = null);
}
