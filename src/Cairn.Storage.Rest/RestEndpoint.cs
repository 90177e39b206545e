using System.Text.RegularExpressions;

namespace Cairn.Storage.Rest;

/// <summary>HTTP basic-auth credentials for a REST server; <see cref="ToString"/> never shows the password.</summary>
public sealed record RestCredentials(string User, string Password)
{
    /// <inheritdoc/>
    public override string ToString() => User + ":***";
}

/// <summary>
/// A parsed <c>rest:http(s)://[user:password@]host[:port]/path</c> location: the server's base URL with the credentials
/// taken out (they travel in an Authorization header, so no URL that reaches a log or an exception carries them).
/// </summary>
public sealed partial record RestEndpoint
{
    /// <summary>The location prefix.</summary>
    public const string Prefix = "rest:";

    private RestEndpoint(Uri baseUri, RestCredentials? credentials)
    {
        BaseUri = baseUri;
        Credentials = credentials;
    }

    /// <summary>The repository's root URL, ending in '/', without user or password.</summary>
    public Uri BaseUri { get; }

    /// <summary>The credentials to send, if any.</summary>
    public RestCredentials? Credentials { get; }

    /// <summary>The location for messages: "rest:" and the base URL, never the credentials.</summary>
    public string Location => Prefix + BaseUri.AbsoluteUri;

    /// <summary>
    /// Parses <paramref name="location"/> (with or without the "rest:" prefix). A user and password in the URL win;
    /// <paramref name="fallback"/> (from the environment) fills in what the URL lacks. Throws <see cref="ArgumentException"/>
    /// with a message fit for users (and free of the password) when the string is not an http(s) URL.
    /// </summary>
    public static RestEndpoint Parse(string location, RestCredentials? fallback = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        var text = location.StartsWith(Prefix, StringComparison.Ordinal) ? location[Prefix.Length..] : location;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'{Redact(location)}' is not a REST location: use rest:http://host:port/path or rest:https://user:password@host/path");
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new ArgumentException($"'{Redact(location)}': a REST location has no query or fragment (?… or #…)");
        }

        string? user = fallback?.User;
        string? password = fallback?.Password;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        var builder = new UriBuilder(uri) { UserName = "", Password = "" };
        if (!builder.Path.EndsWith('/')) builder.Path += "/";
        var credentials = user is null ? null : new RestCredentials(user, password ?? "");
        return new RestEndpoint(builder.Uri, credentials);
    }

    /// <summary>
    /// Removes the user and password of every URL in <paramref name="text"/> ("http://u:p@host" becomes "http://host"),
    /// for messages and lock files that show a location string as the user typed it.
    /// </summary>
    public static string Redact(string text) => UserInfo().Replace(text ?? "", "");

    // scheme "://" then everything up to the last '@' before the first '/', '?', '#' or space (greedy, so a raw '@'
    // inside a password is removed too).
    [GeneratedRegex(@"(?<=\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s]*@")]
    private static partial Regex UserInfo();
}
