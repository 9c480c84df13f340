using System.ComponentModel.DataAnnotations;

namespace Agent.Host;

/// <summary>The <c>Http</c> section: the API of <c>agent serve</c>.</summary>
internal sealed class HttpOptions : IValidatableObject
{
    public const string Section = "Http";

    /// <summary>
    /// The URL the API listens on, <c>http://HOST:PORT</c>. The host is resolved and must be loopback addresses only
    /// (127.0.0.1, [::1], localhost) unless <see cref="AllowNonLoopback"/> is set; the resolved addresses are what is bound.
    /// </summary>
    public string Url { get; set; } = "http://127.0.0.1:5380";

    /// <summary>The bearer token every request must carry (<c>Authorization: Bearer TOKEN</c>); <c>agent serve</c> refuses to start without one.</summary>
    public string? Token { get; set; }

    /// <summary>The explicit opt-in to listen on a non-loopback address (e.g. behind a TLS proxy on another host); it requires <see cref="Token"/>.</summary>
    public bool AllowNonLoopback { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!HttpEndpoints.TryResolve(Url, AllowNonLoopback, out _, out var error))
        {
            yield return new ValidationResult(error, [nameof(Url)]);
        }

        if (Token is { Length: > 0 and < 16 })
        {
            yield return new ValidationResult("Http:Token is shorter than 16 characters: use a long random token (e.g. `openssl rand -hex 24`).", [nameof(Token)]);
        }

        if (AllowNonLoopback && string.IsNullOrWhiteSpace(Token))
        {
            yield return new ValidationResult("Http:AllowNonLoopback is true but Http:Token is not set: an API other hosts can reach needs a bearer token (e.g. `openssl rand -hex 24`).", [nameof(AllowNonLoopback)]);
        }
    }
}
