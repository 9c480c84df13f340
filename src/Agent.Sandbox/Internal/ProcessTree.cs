using System.Globalization;
using Agent.Sandbox.Native;

namespace Agent.Sandbox.Internal;

/// <summary>
/// Signals a process and every process below it, found by their parent ids in /proc. .NET can only SIGKILL a tree,
/// which runs no shell trap; a root build is first asked to end with SIGTERM, so that its script unmounts what
/// debootstrap mounted and removes its work folder.
/// </summary>
internal static class ProcessTree
{
    /// <summary>Sends <paramref name="signal"/> to <paramref name="root"/> and its descendants, children first found from the live /proc.</summary>
    public static void Signal(int root, int signal)
    {
        foreach (var pid in WithDescendants(root))
        {
            LibC.Signal(pid, signal);
        }
    }

    private static List<int> WithDescendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }

                list.Add(pid);
            }
            catch (IOException)
            {
                // The process ended while the tree was read.
            }
        }

        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            if (children.TryGetValue(tree[i], out var below))
            {
                tree.AddRange(below);
            }
        }

        return tree;
    }
}
