namespace Agent.Host;

/// <summary>Where the loaded appsettings.json is; relative paths in it resolve against <see cref="ContentRoot"/>.</summary>
/// <param name="SettingsFile">The appsettings.json that was loaded.</param>
/// <param name="ContentRoot">Its folder.</param>
internal sealed record AgentPaths(string SettingsFile, string ContentRoot)
{
    /// <summary>A configured path made absolute.</summary>
    public string Resolve(string path) => AgentConfiguration.ResolvePath(ContentRoot, path);
}
