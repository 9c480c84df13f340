using System.ComponentModel.DataAnnotations;

namespace Agent.Host;

/// <summary>The <c>Http</c> section: the API of <c>agent serve</c>.</summary>
internal sealed class HttpOptions : IValidatableObject
{
    public const string Section = "Http";

    /// <summary>The URL Kestrel listens on; only loopback hosts (127.0.0.1, [::1], localhost) are accepted.</summary>
    public string Url { get; set; } = "http://127.0.0.1:5380";

    /// <summary>The bearer token every request must carry (<c>Authorization: Bearer TOKEN</c>); <c>agent serve</c> refuses to start without one.</summary>
    public string? Token { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            yield return new ValidationResult($"Http:Url '{Url}' must be an http:// URL such as http://127.0.0.1:5380.", [nameof(Url)]);
        }
        else if (!uri.IsLoopback)
        {
            yield return new ValidationResult($"Http:Url '{Url}' is not a loopback address: the API binds to 127.0.0.1 only.", [nameof(Url)]);
        }

        if (Token is { Length: > 0 and < 16 })
        {
            yield return new ValidationResult("Http:Token is shorter than 16 characters: use a long random token (e.g. `openssl rand -hex 24`).", [nameof(Token)]);
        }
    }
}
