using System.Net;
using System.Net.Sockets;
using Prometheus;

namespace Cairn.Orchestration.Metrics;

/// <summary>
/// Serves <see cref="CairnMetrics"/> over HTTP at <c>http://ADDRESS/metrics</c> for <c>cairn daemon --metrics</c>
/// (prometheus-net's HttpListener-based server: no ASP.NET needed).
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly MetricServer _server;

    private MetricsEndpoint(MetricServer server, Uri url)
    {
        _server = server;
        Url = url;
    }

    /// <summary>Where the metrics are: http://host:port/metrics.</summary>
    public Uri Url { get; }

    /// <summary>
    /// Starts serving at <paramref name="address"/> ("127.0.0.1:9465", "[::1]:9465", "localhost:9465", or "*:9465" or
    /// ":9465" for every address). A malformed address is a usage error; a port in use, a storage-like error naming it.
    /// </summary>
    public static MetricsEndpoint Start(string address, CairnMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var (host, port) = ParseAddress(address);
        var server = new MetricServer(host, port, "metrics/", metrics.Registry);
        try
        {
            server.Start();
        }
        catch (Exception e) when (e is HttpListenerException or SocketException or InvalidOperationException)
        {
            server.Dispose();
            throw new CairnException($"cannot serve metrics on {address}: {e.Message}", ExitCode.Failure);
        }
        var shown = host is "+" or "*" ? "127.0.0.1" : host;
        return new MetricsEndpoint(server, new Uri($"http://{shown}:{port}/metrics"));
    }

    /// <summary>Host and port of "host:port"; "+" for any address.</summary>
    public static (string Host, int Port) ParseAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new CairnException($"metrics address '{address}': expected HOST:PORT, e.g. 127.0.0.1:9465", ExitCode.Usage);
        var host = address[..colon];
        if (host is "" or "*" or "0.0.0.0" or "[::]") host = "+";
        return (host, port);
    }

    /// <summary>Stops serving.</summary>
    public async Task StopAsync() => await _server.StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _server.Dispose();
    }
}
