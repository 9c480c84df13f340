using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace Agent.Decoding;

/// <summary>
/// The <c>Tags</c> section of appsettings.json: the mode tags and the behaviour tags the decoder knows, named without
/// brackets (<c>mode2</c> stands for the tag pair <c>&lt;mode2&gt;</c> / <c>&lt;/mode2&gt;</c>).
/// </summary>
public sealed partial class TagOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Tags";

    /// <summary>Mode tags: <c>mode1</c> (reading / continuing text) and <c>mode2</c> (acting as an agent).</summary>
    public IList<string> Modes { get; } = [];

    /// <summary>Behaviour tags such as <c>deceit</c> and <c>powerseeking</c>; users may add <c>nsfw</c>, <c>angry</c>, ...</summary>
    public IList<string> Behaviours { get; } = [];

    /// <summary>Every tag name, modes first.</summary>
    public IEnumerable<string> All => Modes.Concat(Behaviours);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Modes.Count == 0)
        {
            yield return new ValidationResult("Tags:Modes must list the mode tags, e.g. [\"mode1\", \"mode2\"].", [nameof(Modes)]);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in All)
        {
            if (!ValidName().IsMatch(name ?? string.Empty))
            {
                yield return new ValidationResult(
                    $"Tag name '{name}' in Tags is invalid: use letters, digits, '_' or '-', without brackets (write 'deceit', not '<deceit>').", [nameof(Behaviours)]);
            }
            else if (!seen.Add(name!))
            {
                yield return new ValidationResult($"Tag '{name}' is listed twice in Tags.", [nameof(Behaviours)]);
            }
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,31}$")]
    private static partial Regex ValidName();
}
