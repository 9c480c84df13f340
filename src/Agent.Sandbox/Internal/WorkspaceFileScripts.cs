namespace Agent.Sandbox.Internal;

/// <summary>
/// The shell scripts that read, write and list workspace files inside the sandbox, as the sandbox user (busybox sh).
/// </summary>
/// <remarks>
/// Why inside and as the user (issue 17, finding 2): checking a path for symlinks first and then reading it as root
/// through the engine's archive API left a window in which a process in the sandbox swapped a folder for a link to
/// /etc or to a root-only file of a read-only mount. Now the file is opened first, by a process with the sandbox
/// user's rights only (a file the user may not read is refused by the kernel), and containment is checked on what
/// was opened: <c>readlink /proc/self/fd/3</c> names the file the descriptor holds, whatever the path became since,
/// and the bytes come from that descriptor. Folders are entered one segment at a time with <c>cd -P</c> and checked
/// with <c>pwd -P</c>: a working directory is an inode, which no later swap of a name can move out of the
/// workspace's file system. A write goes to a fresh temporary file in the checked folder and is renamed over the
/// name (<c>mv -T</c> replaces a link at that name rather than follow it). A listing runs <c>find</c> in the checked
/// folder; find does not follow links, and anything a swap during the walk could show is what the sandbox user may
/// list anyway. Every script runs under busybox <c>timeout -s KILL</c>, since opening a fifo swapped in blocks.
/// Exit codes: <see cref="Missing"/>, <see cref="Unopenable"/>, <see cref="Outside"/>, <see cref="Folder"/>,
/// <see cref="NotRegular"/>, <see cref="TooLarge"/>, <see cref="WriteFailed"/>; the reason is on stderr.
/// </remarks>
internal static class WorkspaceFileScripts
{
    public const int Missing = 70;
    public const int Unopenable = 71;
    public const int Outside = 72;
    public const int Folder = 73;
    public const int NotRegular = 74;
    public const int TooLarge = 75;
    public const int WriteFailed = 76;

    // $1 workspace. Sets ws to its real path.
    private const string Prologue =
        "ws=$(cd -P -- \"$1\" && pwd -P) || exit 71; " +
        "inside() { case \"$1\" in \"$ws\"|\"$ws\"/*) return 0;; esac; return 1; }; ";

    /// <summary>Args: workspace, relative path, max bytes. Writes the file's bytes (at most max + 1) to stdout.</summary>
    public const string Read = Prologue +
        "f=\"$1/$2\"; max=$3; " +
        "[ -e \"$f\" ] || [ -L \"$f\" ] || { echo 'no such file in the workspace' >&2; exit 70; }; " +
        "[ -p \"$f\" ] && { echo 'it is a fifo, not a regular file' >&2; exit 74; }; " +
        "command exec 3<\"$f\" 2>/dev/null || { echo 'the sandbox user cannot open it (permission denied, a dangling link, or it went away)' >&2; exit 71; }; " +
        "t=$(readlink /proc/self/fd/3); " +
        "inside \"$t\" && [ \"$t\" != \"$ws\" ] || { echo \"it leads to '$t', outside the workspace\" >&2; exit 72; }; " +
        "[ -d /proc/self/fd/3 ] && { echo 'it is a folder; use ListFilesAsync' >&2; exit 73; }; " +
        "[ -f /proc/self/fd/3 ] || { echo 'it is not a regular file' >&2; exit 74; }; " +
        "n=$(stat -L -c %s /proc/self/fd/3); " +
        "[ \"$n\" -le \"$max\" ] || { echo \"the file is $n bytes, over Sandbox:MaxFileBytes ($max)\" >&2; exit 75; }; " +
        "exec head -c $((max + 1)) <&3";

    /// <summary>Args: workspace, file name, temporary name, parent folder segments... The content comes on stdin.</summary>
    public const string Write = Prologue +
        "name=$2; tmp=$3; shift 3; cd -P -- \"$ws\" || exit 71; " +
        "for s; do " +
        "[ -d \"$s\" ] || mkdir -- \"$s\" 2>/dev/null || [ -d \"$s\" ] || { echo \"folder '$s' cannot be created (a file of that name exists, or the workspace is full)\" >&2; exit 76; }; " +
        "cd -P -- \"$s\" 2>/dev/null || { echo \"folder '$s' cannot be entered\" >&2; exit 71; }; " +
        "p=$(pwd -P); inside \"$p\" || { echo \"folder '$s' leads to '$p', outside the workspace\" >&2; exit 72; }; " +
        "done; " +
        "[ -d \"$name\" ] && [ ! -L \"$name\" ] && { echo 'it is a folder' >&2; exit 73; }; " +
        "command exec 3>\"$tmp\" 2>/dev/null || { echo 'the sandbox user cannot create a file here' >&2; exit 71; }; " +
        "t=$(readlink /proc/self/fd/3); inside \"$t\" || { echo \"the temporary file leads to '$t', outside the workspace\" >&2; exit 72; }; " +
        "cat >&3 || { rm -f -- \"$tmp\"; echo 'writing failed (is the workspace full? Sandbox:WorkspaceSizeMiB)' >&2; exit 76; }; " +
        "exec 3>&-; " +
        "mv -fT -- \"$tmp\" \"$name\" 2>/dev/null || { rm -f -- \"$tmp\"; echo 'it cannot be replaced (a folder of that name exists)' >&2; exit 73; }";

    /// <summary>
    /// Args: workspace, relative folder. Writes NUL-separated triples to stdout: kind (f, d, l, o), path relative to
    /// the folder (<c>./a/b</c>), and the size of a file or the target of a link (empty otherwise).
    /// </summary>
    public const string List = Prologue +
        "d=\"$1/$2\"; " +
        "[ -e \"$d\" ] || [ -L \"$d\" ] || { echo 'no such folder in the workspace' >&2; exit 70; }; " +
        "cd -P -- \"$d\" 2>/dev/null || { [ -d \"$d\" ] && echo 'the sandbox user cannot enter it' >&2 && exit 71; echo 'it is not a folder' >&2; exit 74; }; " +
        "p=$(pwd -P); inside \"$p\" || { echo \"it leads to '$p', outside the workspace\" >&2; exit 72; }; " +
        "exec find . -mindepth 1 -exec sh -c '" +
        "for e; do " +
        "if [ -L \"$e\" ]; then printf \"l\\0%s\\0%s\\0\" \"$e\" \"$(readlink -- \"$e\")\"; " +
        "elif [ -d \"$e\" ]; then printf \"d\\0%s\\0\\0\" \"$e\"; " +
        "elif [ -f \"$e\" ]; then printf \"f\\0%s\\0%s\\0\" \"$e\" \"$(stat -c %s -- \"$e\")\"; " +
        "else printf \"o\\0%s\\0\\0\" \"$e\"; fi; " +
        "done' list {} +";
}
