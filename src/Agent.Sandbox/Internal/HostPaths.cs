namespace Agent.Sandbox.Internal;

/// <summary>Host paths as the kernel resolves them, for the checks that must not be fooled by a link (/var/run is /run).</summary>
internal static class HostPaths
{
    private const int MaxLinks = 40;

    /// <summary>
    /// Resolves every symbolic link in an absolute host path, like realpath(3), except that components that do not
    /// exist are kept as they are (a socket that is not there yet is still checked by the path it would have).
    /// </summary>
    public static string Resolve(string absolute)
    {
        var resolved = new List<string>();
        var pending = new LinkedList<string>(absolute.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var links = 0;
        while (pending.First is { } first)
        {
            var segment = first.Value;
            pending.RemoveFirst();
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = "/" + string.Join('/', resolved.Append(segment));
            var target = LinkTarget(candidate);
            if (target is null || ++links > MaxLinks)
            {
                resolved.Add(segment);
                continue;
            }

            if (target.StartsWith('/'))
            {
                resolved.Clear();
            }

            foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.AddFirst(part);
            }
        }

        return "/" + string.Join('/', resolved);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies below it (both resolved).</summary>
    public static bool IsWithin(string path, string root) =>
        root == "/" || path == root || path.StartsWith(root + "/", StringComparison.Ordinal);

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
