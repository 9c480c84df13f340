using Agent.TestSupport;

namespace Agent.Host.Tests;

/// <summary>
/// Storage:Provider picks the run store from appsettings.json: a PostgreSQL setting that cannot work is refused at start,
/// exit code 2, one line naming the key, before anything is stored; a valid one reaches the database.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class StorageConfigurationTests
{
    [Theory]
    [InlineData(new[] { "Storage:Provider=PostgreSql", "Storage:WorkspacesPath=/tmp" }, "Storage:ConnectionString must be set when Storage:Provider is PostgreSql")]
    [InlineData(new[] { "Storage:Provider=PostgreSql", "Storage:ConnectionString=Host=db;Database=agent" }, "Storage:WorkspacesPath must be set when Storage:Provider is PostgreSql")]
    [InlineData(new[] { "Storage:Provider=PostgreSql", "Storage:ConnectionString=Hots=db", "Storage:WorkspacesPath=/tmp" }, "Storage:ConnectionString is not a valid PostgreSQL connection string")]
    [InlineData(new[] { "Storage:ConnectionString=Host=db;Database=agent" }, "Storage:ConnectionString is set but Storage:Provider is Sqlite")]
    [InlineData(new[] { "Storage:Provider=Postgres" }, "Storage:Provider")]
    public async Task Start_StorageSettingThatCannotWork_Exits2NamingTheKeyBeforeAnyRunIsStored(string[] sets, string named)
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, ["review", "list", .. sets.SelectMany(s => new[] { "--set", s })]);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.False(File.Exists(settings.RunStoreFile), "the SQLite file was created although the configuration is invalid");
    }

    [Fact]
    public async Task Start_PostgreSqlProvider_VerbsUseTheDatabaseAndNoSqliteFile()
    {
        var connection = await PostgresServer.NewDatabaseAsync("config");
        var settings = TestSettings.Create(edit: json =>
        {
            json["Storage"]!["Provider"] = "PostgreSql";
            json["Storage"]!["ConnectionString"] = connection;
            json["Storage"]!["WorkspacesPath"] = "shared-workspaces";
        });

        var empty = await AgentProcess.RunAsync(settings, "review", "list", "--json");
        var wrong = await AgentProcess.RunAsync(settings, "review", "list", "--set", "Storage:ConnectionString=" + PostgresServer.ConnectionString("no_such_database"));

        Assert.True(empty.ExitCode == 0, empty.ToString());
        Assert.Equal("[]", empty.Stdout.Trim());
        Assert.False(File.Exists(settings.RunStoreFile), "a SQLite file was created although Storage:Provider is PostgreSql");
        Assert.True(wrong.ExitCode == 2, wrong.ToString());
        Assert.Contains("'no_such_database'", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains("does not exist", wrong.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WorkspacesFolderItCannotWrite_Exits2NamingTheFolderAndTheKeyBeforeTakingRuns()
    {
        var settings = TestSettings.Create();
        var underAFile = Path.Combine(settings.SettingsFile, "workspaces"); // a folder cannot be made inside a file

        var result = await AgentProcess.RunAsync(settings, "serve", "--set", "Storage:WorkspacesPath=" + underAFile);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(underAFile, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Storage:WorkspacesPath", result.Stderr, StringComparison.Ordinal);
    }
}
