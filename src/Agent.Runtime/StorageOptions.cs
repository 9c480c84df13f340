using System.ComponentModel.DataAnnotations;

namespace Agent.Runtime;

/// <summary>
/// The <c>Storage</c> section of appsettings.json: where the run store, the durable queue, approvals and the
/// blocked-action log live (one SQLite file by default).
/// </summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Storage";

    /// <summary>The SQLite database file; a relative path is relative to appsettings.json's folder.</summary>
    [Required(ErrorMessage = "Storage:DatabasePath must name the SQLite file, e.g. \"data/agent.db\".")]
    public string DatabasePath { get; set; } = "data/agent.db";

    /// <summary>Milliseconds a writer waits for another writer's lock before failing.</summary>
    [Range(0, 600_000, ErrorMessage = "Storage:BusyTimeoutMilliseconds must be between 0 and 600000.")]
    public int BusyTimeoutMilliseconds { get; set; } = 5000;

    /// <summary>Seconds a worker's claim on a run lasts without a heartbeat; after that another worker (or a restart) takes the run over.</summary>
    [Range(5, 86_400, ErrorMessage = "Storage:LeaseSeconds must be between 5 and 86400.")]
    public int LeaseSeconds { get; set; } = 60;
}
