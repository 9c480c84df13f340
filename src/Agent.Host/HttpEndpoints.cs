using System.Net;
using System.Net.Sockets;

namespace Agent.Host;

/// <summary>
/// Turns Http:Url into the socket addresses <c>agent serve</c> listens on. The host is checked as an address after
/// resolution, and the resolved addresses are what Kestrel binds: handed a host name it does not know (anything but
/// localhost), Kestrel listens on every interface, so <c>http://loopback:5380</c> passed a name check and served the network.
/// </summary>
internal static class HttpEndpoints
{
    /// <summary>The addresses to listen on.</summary>
    /// <exception cref="ConfigurationException">Http:Url is not an http://HOST:PORT URL, its host does not resolve, or it is not a loopback address and Http:AllowNonLoopback is off.</exception>
    public static IReadOnlyList<IPEndPoint> Resolve(HttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return TryResolve(options.Url, options.AllowNonLoopback, out var endpoints, out var error) ? endpoints : throw new ConfigurationException(error!);
    }

    /// <summary>Resolves <paramref name="url"/>; on failure <paramref name="error"/> says what is wrong with Http:Url and what to do.</summary>
    public static bool TryResolve(string? url, bool allowNonLoopback, out IReadOnlyList<IPEndPoint> endpoints, out string? error)
    {
        endpoints = [];
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.UserInfo.Length > 0
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.Host.Length == 0)
        {
            error = $"Http:Url '{url}' must be an http:// URL of a host and a port and nothing after them, such as http://127.0.0.1:5380.";
            return false;
        }

        var host = uri.DnsSafeHost;
        IPAddress[] addresses;
        var isName = !IPAddress.TryParse(host, out var literal);
        if (!isName)
        {
            addresses = [literal!];
        }
        else
        {
            try
            {
                addresses = Dns.GetHostAddresses(host);
            }
            catch (Exception e) when (e is SocketException or ArgumentException)
            {
                error = $"Http:Url '{url}': the host name '{host}' does not resolve ({e.Message}); use a loopback address such as 127.0.0.1 or [::1].";
                return false;
            }
        }

        // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is its IPv4 address; it is bound as such.
        var resolved = addresses.Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Distinct().ToList();
        if (resolved.Count == 0)
        {
            error = $"Http:Url '{url}': the host name '{host}' resolves to no address; use a loopback address such as 127.0.0.1 or [::1].";
            return false;
        }

        var outside = resolved.Where(a => !IPAddress.IsLoopback(a)).ToList();
        if (outside.Count > 0 && !allowNonLoopback)
        {
            var resolvesTo = isName ? $" ('{host}' resolves to {string.Join(", ", outside)})" : string.Empty;
            error = $"Http:Url '{url}' is not a loopback address{resolvesTo}: the API listens on loopback addresses only (127.0.0.1, [::1], localhost). "
                + "To serve other hosts, set Http:AllowNonLoopback=true (Http:Token is required).";
            return false;
        }

        if (uri.Port == 0 && resolved.Count > 1)
        {
            error = $"Http:Url '{url}' asks for any free port (0) on '{host}', which has several addresses ({string.Join(", ", resolved)}) that cannot share one: name one address, such as http://127.0.0.1:0.";
            return false;
        }

        endpoints = resolved.Select(a => new IPEndPoint(a, uri.Port)).ToList();
        error = null;
        return true;
    }
}
