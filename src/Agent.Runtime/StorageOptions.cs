using System.ComponentModel.DataAnnotations;
using Npgsql;

namespace Agent.Runtime;

/// <summary>
/// The <c>Storage</c> section of appsettings.json: where the run store, the durable queue, approvals and the
/// blocked-action log live (one SQLite file by default, or a PostgreSQL database that several hosts share).
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (the default: <see cref="DatabasePath"/>) or <c>PostgreSql</c> (<see cref="ConnectionString"/>, several hosts).</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>The PostgreSQL connection string (Npgsql's keywords: <c>Host=db;Database=agent;Username=agent;Password=...</c>); read only when <see cref="Provider"/> is <c>PostgreSql</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The folder of the saved workspaces of waiting runs; a relative path is relative to appsettings.json's folder. With
    /// SQLite it defaults to <c>workspaces</c> beside the database file; with PostgreSQL it must be set, to a folder
    /// every host mounts (NFS, a shared volume), so a run parked or taken over on one host finds its files on another.
    /// </summary>
    public string? WorkspacesPath { get; set; }

    /// <summary>The SQLite database file; a relative path is relative to appsettings.json's folder. Read only when <see cref="Provider"/> is <c>Sqlite</c>.</summary>
    [Required(ErrorMessage = "Storage:DatabasePath must name the SQLite file, e.g. \"data/agent.db\".")]
    public string DatabasePath { get; set; } = "data/agent.db";

    /// <summary>Milliseconds a writer waits for another writer's lock before failing.</summary>
    [Range(0, 600_000, ErrorMessage = "Storage:BusyTimeoutMilliseconds must be between 0 and 600000.")]
    public int BusyTimeoutMilliseconds { get; set; } = 5000;

    /// <summary>Seconds a worker's claim on a run lasts without a heartbeat; after that another worker (or a restart) takes the run over.</summary>
    [Range(5, 86_400, ErrorMessage = "Storage:LeaseSeconds must be between 5 and 86400.")]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>The folder of the saved workspaces: <see cref="WorkspacesPath"/>, or <c>workspaces</c> beside the SQLite file.</summary>
    public string WorkspacesFolder =>
        WorkspacesPath is { Length: > 0 } path
            ? Path.GetFullPath(path)
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(DatabasePath)) ?? ".", "workspaces");

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == StorageProvider.Sqlite)
        {
            if (!string.IsNullOrWhiteSpace(ConnectionString))
            {
                yield return new ValidationResult(
                    "Storage:ConnectionString is set but Storage:Provider is Sqlite, which reads Storage:DatabasePath: set Storage:Provider to PostgreSql to use the database, or remove Storage:ConnectionString.",
                    [nameof(ConnectionString)]);
            }

            yield break;
        }

        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                "Storage:ConnectionString must be set when Storage:Provider is PostgreSql, e.g. \"Host=db.example;Database=agent;Username=agent;Password=...\".",
                [nameof(ConnectionString)]);
        }
        else
        {
            string? problem = null;
            try
            {
                _ = new NpgsqlConnectionStringBuilder(ConnectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                problem = e.Message;
            }

            if (problem is not null)
            {
                yield return new ValidationResult(
                    $"Storage:ConnectionString is not a valid PostgreSQL connection string ({problem}); use Npgsql's keywords, e.g. \"Host=db.example;Database=agent;Username=agent;Password=...\".",
                    [nameof(ConnectionString)]);
            }
        }

        if (string.IsNullOrWhiteSpace(WorkspacesPath))
        {
            yield return new ValidationResult(
                "Storage:WorkspacesPath must be set when Storage:Provider is PostgreSql: a folder every host mounts (NFS, a shared volume), where a parked or interrupted run's workspace waits for whichever host resumes it.",
                [nameof(WorkspacesPath)]);
        }
    }
}
