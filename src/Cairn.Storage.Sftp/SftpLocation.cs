using System.Globalization;

namespace Cairn.Storage.Sftp;

/// <summary>
/// Where an SFTP repository is: <c>sftp:[user@]host[:port]:/path</c> (restic's form plus an optional port), or
/// <c>sftp://[user@]host[:port]/path</c>. A path without a leading '/' is relative to the login directory.
/// </summary>
/// <param name="User">The login name.</param>
/// <param name="Host">The server's name or address (an IPv6 address without brackets).</param>
/// <param name="Port">The SSH port.</param>
/// <param name="Path">The repository's directory on the server, without a trailing '/'.</param>
public sealed record SftpLocation(string User, string Host, int Port, string Path)
{
    /// <summary>The prefix of SFTP location strings.</summary>
    public const string Prefix = "sftp:";

    /// <summary>The SSH port when the location names none.</summary>
    public const int DefaultPort = 22;

    /// <summary>
    /// The host as known_hosts files and ssh-keygen name it: "host" on port 22, "[host]:port" elsewhere.
    /// </summary>
    public string KnownHostsName => Port == DefaultPort ? Host : $"[{Host}]:{Port}";

    /// <summary>The location in the canonical <c>sftp:user@host[:port]:/path</c> form, for messages.</summary>
    public override string ToString()
    {
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        var port = Port == DefaultPort ? "" : ":" + Port.ToString(CultureInfo.InvariantCulture);
        return $"{Prefix}{User}@{host}{port}:{Path}";
    }

    /// <summary>
    /// Parses a location string; <paramref name="defaultUser"/> is used when it names no user. Throws
    /// <see cref="FormatException"/> with a message that shows the expected form.
    /// </summary>
    public static SftpLocation Parse(string location, string defaultUser)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!location.StartsWith(Prefix, StringComparison.Ordinal)) throw Invalid(location, "it does not start with 'sftp:'");
        var rest = location[Prefix.Length..];
        return rest.StartsWith("//", StringComparison.Ordinal) ? ParseUrl(location, rest[2..], defaultUser) : ParseScp(location, rest, defaultUser);
    }

    // user@host[:port]:path, where the port is recognised only as digits followed by ':', and user names may contain
    // '@' (user@domain@host) but not ':' or '/'.
    private static SftpLocation ParseScp(string location, string rest, string defaultUser)
    {
        var (user, afterUser) = SplitUser(rest, defaultUser, stopAt: ':');
        var (host, afterHost) = SplitHost(location, afterUser);
        if (afterHost.Length == 0 || afterHost[0] != ':') throw Invalid(location, "the host must be followed by ':' and the path");
        afterHost = afterHost[1..];
        var port = DefaultPort;
        var colon = afterHost.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && afterHost[..colon].All(char.IsAsciiDigit))
        {
            port = ParsePort(location, afterHost[..colon]);
            afterHost = afterHost[(colon + 1)..];
        }
        else if (afterHost.Length > 0 && afterHost.All(char.IsAsciiDigit))
        {
            // scp would read "host:2222" as the relative path "2222", but here it is far more likely a port with the
            // path forgotten; a directory with such a name can still be written "./2222".
            throw Invalid(location, $"'{afterHost}' could be a port or a directory: write host:{afterHost}:/path for a port, or host:./{afterHost} for a directory");
        }

        return Create(location, user, host, port, afterHost);
    }

    // sftp://user@host[:port]/path, as restic reads it: the '/' after the host only separates, so "sftp://host/repo"
    // is relative to the login directory and "sftp://host//srv/repo" is the absolute /srv/repo.
    private static SftpLocation ParseUrl(string location, string rest, string defaultUser)
    {
        var (user, afterUser) = SplitUser(rest, defaultUser, stopAt: '/');
        var (host, afterHost) = SplitHost(location, afterUser);
        var port = DefaultPort;
        if (afterHost.StartsWith(':'))
        {
            var slash = afterHost.IndexOf('/', StringComparison.Ordinal);
            port = ParsePort(location, slash < 0 ? afterHost[1..] : afterHost[1..slash]);
            afterHost = slash < 0 ? "" : afterHost[slash..];
        }

        if (!afterHost.StartsWith('/')) throw Invalid(location, "the host must be followed by '/' and the path");
        return Create(location, user, host, port, afterHost[1..]);
    }

    private static (string User, string Remainder) SplitUser(string text, string defaultUser, char stopAt)
    {
        var end = text.IndexOfAny([stopAt, '/', '[']);
        var head = end < 0 ? text : text[..end];
        var at = head.LastIndexOf('@');
        return at < 0 ? (defaultUser, text) : (text[..at], text[(at + 1)..]);
    }

    private static (string Host, string Remainder) SplitHost(string location, string text)
    {
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 2) throw Invalid(location, "an IPv6 address in '[' has no closing ']'");
            return (text[1..close], text[(close + 1)..]);
        }

        var end = text.IndexOfAny([':', '/']);
        var host = end < 0 ? text : text[..end];
        if (host.Length == 0) throw Invalid(location, "it names no host");
        return (host, end < 0 ? "" : text[end..]);
    }

    private static int ParsePort(string location, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw Invalid(location, $"'{text}' is not a port number");

    private static SftpLocation Create(string location, string user, string host, int port, string path)
    {
        if (path.Length > 1) path = path.TrimEnd('/');
        if (path.Length == 0) throw Invalid(location, "it names no path");
        if (user.Length == 0) throw Invalid(location, "the user name is empty");
        return new SftpLocation(user, host, port, path);
    }

    private static FormatException Invalid(string location, string why) =>
        new($"'{location}' is not an SFTP location ({why}): use sftp:user@host:/path, sftp:user@host:port:/path or sftp://user@host:port/path");
}
