namespace Cairn.Components.Web;

/// <summary>
/// How to reach an HTTP API (the http and rabbitmq components): its base URL, credentials, extra headers and TLS
/// trust. Built from a component's typed options; credentials travel only in request headers, never in URLs.
/// </summary>
public sealed record WebEndpoint
{
    /// <summary>The API's base URL; request paths are appended to it (a path prefix such as "/grafana" is kept).</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>Headers sent with every request (e.g. "X-Consul-Token").</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Sent as "Authorization: Bearer …" when set.</summary>
    public string? BearerToken { get; init; }

    /// <summary>The user of HTTP basic authentication (with <see cref="Password"/>), when set.</summary>
    public string? User { get; init; }

    /// <summary>The password of HTTP basic authentication.</summary>
    public string? Password { get; init; }

    /// <summary>A PEM file of CA certificates that the server's certificate must chain to (instead of the system's).</summary>
    public string? CaFile { get; init; }

    /// <summary>Accept any server certificate (test setups only).</summary>
    public bool Insecure { get; init; }

    /// <summary>How long one request may take until its response headers arrive.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Parses a configured base URL, or fails with a usage error naming the option.</summary>
    public static Uri ParseBaseUrl(string url, string optionName)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CairnException($"{optionName} '{url}' is not an http:// or https:// URL", ExitCode.Usage);
        if (uri.UserInfo.Length > 0)
            // Credentials in a URL end up in messages and manifests; the options have their own secret fields.
            throw new CairnException($"{optionName} must not contain a user or password: use the user/password options", ExitCode.Usage);
        return uri;
    }
}
