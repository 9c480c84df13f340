namespace Agent.Sandbox.Internal;

/// <summary>Turns caller-supplied workspace paths into container paths, refusing anything that could leave the workspace.</summary>
internal static class WorkspacePaths
{
    /// <summary>Normalises <paramref name="relative"/> to the segments below the workspace.</summary>
    /// <exception cref="SandboxPathException">Absolute, '..', NUL, backslash or empty.</exception>
    public static IReadOnlyList<string> Segments(string relative, bool allowRoot)
    {
        ArgumentNullException.ThrowIfNull(relative);
        if (relative.Contains('\0', StringComparison.Ordinal))
        {
            throw new SandboxPathException(relative, "it contains a NUL character");
        }

        if (relative.StartsWith('/'))
        {
            throw new SandboxPathException(relative, "absolute paths are not accepted, give a path relative to the workspace");
        }

        if (relative.Contains('\\', StringComparison.Ordinal))
        {
            throw new SandboxPathException(relative, "use '/' as the separator; backslashes are not accepted");
        }

        var segments = new List<string>();
        foreach (var segment in relative.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                throw new SandboxPathException(relative, "'..' segments are not accepted");
            }

            segments.Add(segment);
        }

        if (segments.Count == 0 && !allowRoot)
        {
            throw new SandboxPathException(relative, "it names the workspace itself, not a file in it");
        }

        return segments;
    }

    public static string Combine(string workspace, IEnumerable<string> segments)
    {
        var tail = string.Join('/', segments);
        return tail.Length == 0 ? workspace : workspace + "/" + tail;
    }

    /// <summary>True when the container path <paramref name="path"/> is the workspace or below it.</summary>
    public static bool IsInside(string workspace, string path)
    {
        var normalised = Normalise(path);
        return normalised == workspace || normalised.StartsWith(workspace + "/", StringComparison.Ordinal);
    }

    /// <summary>Lexically normalises an absolute container path ('.', '..', duplicate separators).</summary>
    public static string Normalise(string absolute)
    {
        var stack = new List<string>();
        foreach (var segment in absolute.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                continue;
            }

            stack.Add(segment);
        }

        return "/" + string.Join('/', stack);
    }
}
