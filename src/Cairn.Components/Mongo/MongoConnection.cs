using System.Text;

namespace Cairn.Components.Mongo;

/// <summary>
/// How to reach the server: a connection string without its password, and the password apart, so the pair can go to
/// mongodump/mongorestore through a 0600 --config file (never argv) and to the driver as one URI.
/// </summary>
/// <param name="Uri">mongodb://[user@]host[:port][,…][/db][?options], with no password in it.</param>
/// <param name="Password">The password, or null.</param>
public sealed record MongoConnection(string Uri, string? Password)
{
    /// <summary>Builds the connection from the component's options.</summary>
    public static MongoConnection FromOptions(MongoDbOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Uri is { Length: > 0 } uri) return FromUri(uri, options.User, options.Password);
        if (options.Password is not null && options.User is null)
            throw new CairnException("mongodb: password is set but user is not: set user too (or put both in uri)", ExitCode.Usage);
        var host = options.Host.Contains(':', StringComparison.Ordinal) && !options.Host.StartsWith('[') ? $"[{options.Host}]" : options.Host;
        var text = new StringBuilder("mongodb://");
        if (options.User is { } user) text.Append(System.Uri.EscapeDataString(user)).Append('@');
        text.Append(host).Append(':').Append(options.Port).Append('/');
        if (options.User is not null) text.Append("?authSource=").Append(System.Uri.EscapeDataString(options.AuthDatabase ?? "admin"));
        return new MongoConnection(text.ToString(), options.Password);
    }

    /// <summary>
    /// Splits the password out of <paramref name="uri"/>; <paramref name="user"/> and <paramref name="password"/> fill in
    /// a URI without credentials (a URI's own user and password win).
    /// </summary>
    public static MongoConnection FromUri(string uri, string? user = null, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "" : uri[..schemeEnd];
        if (scheme is not ("mongodb" or "mongodb+srv"))
            throw new CairnException("mongodb: the uri must start with mongodb:// or mongodb+srv:// (the rest is not shown: it may hold a password)", ExitCode.Usage);
        var rest = uri[(schemeEnd + 3)..];
        // The user info ends at the last '@' before the host list, which ends at the first '/' or '?'.
        var hostsEnd = rest.IndexOfAny(['/', '?']);
        var at = (hostsEnd < 0 ? rest : rest[..hostsEnd]).LastIndexOf('@');
        string? uriUser = null, uriPassword = null;
        if (at >= 0)
        {
            var info = rest[..at];
            rest = rest[(at + 1)..];
            var colon = info.IndexOf(':', StringComparison.Ordinal);
            uriUser = System.Uri.UnescapeDataString(colon < 0 ? info : info[..colon]);
            uriPassword = colon < 0 ? null : System.Uri.UnescapeDataString(info[(colon + 1)..]);
        }

        var finalUser = uriUser ?? user;
        var finalPassword = uriPassword ?? (uriUser is null || uriUser == user ? password : null);
        if (finalPassword is not null && finalUser is null)
            throw new CairnException("mongodb: a password is set but no user (neither in uri nor as user)", ExitCode.Usage);
        var text = scheme + "://" + (finalUser is null ? "" : System.Uri.EscapeDataString(finalUser) + "@") + rest;
        return new MongoConnection(text, finalPassword);
    }

    /// <summary>
    /// The connection for a restore's <c>--to</c>: a mongodb:// URI, or "host[:port]"; when it names no user, this
    /// connection's user and password are used there.
    /// </summary>
    public MongoConnection Retarget(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (user, _) = UserOf(Uri);
        if (target.Contains("://", StringComparison.Ordinal)) return FromUri(target, user, Password);
        if (target.Length == 0 || target.IndexOfAny(['/', '?', '@', ' ']) >= 0)
            throw new CairnException($"mongodb: --to '{target}' is neither a mongodb:// URI nor host[:port]", ExitCode.Usage);
        // Keep the options (authSource, tls, …) of the configured URI; only the hosts change.
        var query = Uri.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? Uri[q..] : "";
        var hostPort = target.Contains(':', StringComparison.Ordinal) ? target : target + ":27017";
        return new MongoConnection("mongodb://" + (user is null ? "" : System.Uri.EscapeDataString(user) + "@") + hostPort + "/" + query, Password);
    }

    /// <summary>The content of the --config file mongodump and mongorestore read: the URI and the password.</summary>
    public string ConfigYaml()
    {
        var yaml = new StringBuilder();
        yaml.Append("uri: ").Append(Quote(Uri)).Append('\n');
        if (Password is not null) yaml.Append("password: ").Append(Quote(Password)).Append('\n');
        return yaml.ToString();
    }

    /// <summary>The URI with the password in it, for the driver (in this process only, never on a command line).</summary>
    public string DriverUri()
    {
        if (Password is null) return Uri;
        var schemeEnd = Uri.IndexOf("://", StringComparison.Ordinal) + 3;
        var at = Uri.IndexOf('@', schemeEnd);
        return Uri[..at] + ":" + System.Uri.EscapeDataString(Password) + Uri[at..];
    }

    /// <summary>The URI as messages show it (no password is ever in it).</summary>
    public override string ToString() => Uri;

    private static (string? User, int At) UserOf(string uri)
    {
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var hostsEnd = rest.IndexOfAny(['/', '?']);
        var at = (hostsEnd < 0 ? rest : rest[..hostsEnd]).LastIndexOf('@');
        return at < 0 ? (null, -1) : (System.Uri.UnescapeDataString(rest[..at]), at);
    }

    // YAML single quotes: no escapes, a quote is doubled; line breaks cannot occur in these values (no line break
    // survives a *_file's first line, and a URI has none), but are refused rather than folded silently.
    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny('\n', '\r') >= 0
            ? throw new CairnException("mongodb: the uri or password contains a line break", ExitCode.Usage)
            : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
