using System.Globalization;

namespace Cairn.Components.Tools;

/// <summary>Parses a restore's <c>--to host[:port]</c> (IPv6 in brackets: <c>[::1]:3306</c>).</summary>
public static class HostPort
{
    /// <summary>The host and port of <paramref name="target"/>; the defaults when it is empty, the default port when it has none.</summary>
    public static (string Host, int Port) Parse(string? target, string defaultHost, int defaultPort, string expected = "host or host:port")
    {
        if (string.IsNullOrEmpty(target)) return (defaultHost, defaultPort);
        var colon = target.LastIndexOf(':');
        if (colon < 0 || target.EndsWith(']') || target.IndexOf(':') != colon && !target.StartsWith('[')) return (target.Trim('[', ']'), defaultPort);
        if (!int.TryParse(target.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new CairnException($"--to '{target}': expected {expected}", ExitCode.Usage);
        return (target[..colon].Trim('[', ']'), port);
    }
}
