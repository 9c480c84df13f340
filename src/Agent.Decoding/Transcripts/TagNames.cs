using System.Text.RegularExpressions;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// Tag names and their text form. A tag is a plain name (<c>deceit</c>, <c>powerseeking</c>, <c>mode1</c>)
/// rendered <c>&lt;name&gt;</c> / <c>&lt;/name&gt;</c>; the set of behaviour tags comes from configuration,
/// so nothing here depends on a fixed list.
/// </summary>
public static partial class TagNames
{
    /// <summary>The mode tag of plain text (<see cref="TurnMode.Plain"/>).</summary>
    public const string PlainMode = "mode1";

    /// <summary>The mode tag of agent turns (<see cref="TurnMode.Agent"/>).</summary>
    public const string AgentMode = "mode2";

    /// <summary>Whether <paramref name="name"/> is a valid tag name: an ASCII letter, then ASCII letters, digits, '_' or '-'.</summary>
    /// <param name="name">The candidate name.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValid(string? name) => name is not null && NameRegex().IsMatch(name);

    /// <summary>The opening text of a tag, <c>&lt;name&gt;</c>.</summary>
    /// <param name="name">The tag name.</param>
    /// <returns>The opening tag text.</returns>
    public static string Open(string name) => "<" + name + ">";

    /// <summary>The closing text of a tag, <c>&lt;/name&gt;</c>.</summary>
    /// <param name="name">The tag name.</param>
    /// <returns>The closing tag text.</returns>
    public static string Close(string name) => "</" + name + ">";

    /// <summary>The mode tag name of a mode.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns><see cref="PlainMode"/> or <see cref="AgentMode"/>.</returns>
    public static string ForMode(TurnMode mode) => mode == TurnMode.Agent ? AgentMode : PlainMode;

    internal static bool IsModeTag(string name) => name is PlainMode or AgentMode;

    internal static void Validate(string? name, string paramName)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid tag name: use an ASCII letter followed by letters, digits, '_' or '-' (for example 'deceit'), without angle brackets.",
                paramName);
        }
    }

    /// <summary>Matches tag text <c>&lt;name&gt;</c> or <c>&lt;/name&gt;</c>; group 1 is '/' for a closing tag, group 2 the name.</summary>
    [GeneratedRegex(@"<(/?)([A-Za-z][A-Za-z0-9_\-]*)>", RegexOptions.CultureInvariant)]
    internal static partial Regex TagTextRegex();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();
}
