namespace Agent.Runtime;

/// <summary>Where the run store lives (<see cref="StorageOptions.Provider"/>).</summary>
public enum StorageProvider
{
    /// <summary>One SQLite file (<see cref="StorageOptions.DatabasePath"/>): the embedded default, one host.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (<see cref="StorageOptions.ConnectionString"/>) that several hosts share.</summary>
    PostgreSql,
}
