using System.Diagnostics;
using Npgsql;

namespace Agent.TestSupport;

/// <summary>
/// A throwaway PostgreSQL cluster for the tests, one per test process: <c>initdb</c> into a new folder under /tmp,
/// <c>pg_ctl start</c> listening on a unix socket in that folder only (no TCP port, no system service), stopped and
/// deleted when the process exits. Run as root, the server runs as the <c>postgres</c> user (through <c>runuser</c>),
/// as PostgreSQL refuses root. Each test asks for a database of its own (<see cref="NewDatabaseAsync"/>).
/// </summary>
/// <remarks>
/// The binaries come from Debian's <c>postgresql</c> package (<c>apt-get install postgresql</c>, which <c>.ci/run</c>
/// does): <c>initdb</c> on the PATH or under <c>/usr/lib/postgresql/VERSION/bin</c>. Without them every test that needs the
/// server fails with a message that says how to install it; none is skipped.
/// </remarks>
public static class PostgresServer
{
    private static readonly Lazy<Cluster> s_cluster = new(Cluster.Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The folder of the server's socket (the <c>Host=</c> of a connection string).</summary>
    public static string SocketFolder => s_cluster.Value.Folder;

    /// <summary>A connection string to the server's <c>postgres</c> database as the superuser.</summary>
    public static string AdminConnectionString => ConnectionString("postgres");

    /// <summary>A connection string to <paramref name="database"/>.</summary>
    public static string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = s_cluster.Value.Folder, Port = Cluster.Port, Username = "postgres", Database = database, MaxPoolSize = 20 }.ToString();

    /// <summary>Creates a new, empty database and returns a connection string to it.</summary>
    public static async Task<string> NewDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 60)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The name is a prefix of the test's and a GUID.
        command.CommandText = $"CREATE DATABASE \"{name}\";";
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private sealed class Cluster
    {
        public const int Port = 5432;

        private Cluster(string folder, string binaries, bool asPostgres)
        {
            Folder = folder;
            Binaries = binaries;
            AsPostgres = asPostgres;
        }

        public string Folder { get; }

        private string Binaries { get; }

        private bool AsPostgres { get; }

        public static Cluster Start()
        {
            var binaries = FindBinaries();
            var asPostgres = Environment.UserName == "root";
            var folder = Path.Combine("/tmp", "agent-pg-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(folder);
            var cluster = new Cluster(folder, binaries, asPostgres);
            if (asPostgres)
            {
                Run("chown", "postgres:postgres", folder);
            }

            var data = Path.Combine(folder, "data");
            cluster.RunTool("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C");
            cluster.RunTool(
                "pg_ctl", "-D", data, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60",
                "-o", $"-c listen_addresses='' -c unix_socket_directories='{folder}' -c port={Port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=32MB",
                "start");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop();
            cluster.Watch(Environment.ProcessId);
            return cluster;
        }

        /// <summary>
        /// Starts a watchdog, detached from this process's tree (a test runner may kill the tree, or the process may die
        /// without running its exit handlers), that stops the server and deletes its folder once <paramref name="pid"/> is gone.
        /// </summary>
        private void Watch(int pid)
        {
            var stop = AsPostgres
                ? $"runuser -u postgres -- '{Path.Combine(Binaries, "pg_ctl")}' -D '{Folder}/data' -m immediate -w stop"
                : $"'{Path.Combine(Binaries, "pg_ctl")}' -D '{Folder}/data' -m immediate -w stop";
            var script = $"while kill -0 {pid} 2>/dev/null; do sleep 2; done; {stop} >/dev/null 2>&1; rm -rf '{Folder}'";
            Run("bash", "-c", $"setsid bash -c \"{script}\" </dev/null >/dev/null 2>&1 &");
        }

        private void Stop()
        {
            try
            {
                RunTool("pg_ctl", "-D", Path.Combine(Folder, "data"), "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Already stopped; the folder goes anyway.
            }

            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private void RunTool(string tool, params string[] args)
        {
            var path = Path.Combine(Binaries, tool);
            if (AsPostgres)
            {
                Run("runuser", ["-u", "postgres", "--", path, .. args]);
            }
            else
            {
                Run(path, args);
            }
        }

        private static void Run(string file, params string[] args)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{file} {string.Join(' ', args)} ran past 120 s");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}{stdout.Result}");
            }
        }

        private static string FindBinaries()
        {
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, "initdb"))
                .FirstOrDefault(File.Exists);
            if (onPath is not null)
            {
                // Debian links initdb into /usr/local/bin or not at all; pg_ctl lives beside the real file.
                return Path.GetDirectoryName(new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath)!;
            }

            var installed = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending(StringComparer.Ordinal).FirstOrDefault()
                : null;
            return installed ?? throw new InvalidOperationException(
                "PostgreSQL is not installed, and the PostgreSQL run store tests need its server binaries (initdb, pg_ctl) to start a throwaway cluster of their own: " +
                "install them with `apt-get update && apt-get install -y postgresql` (Debian/Ubuntu; .ci/run does this), or put a PostgreSQL bin folder holding initdb on the PATH.");
        }
    }
}
