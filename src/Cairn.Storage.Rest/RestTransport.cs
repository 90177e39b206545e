using System.Net;
using System.Net.Sockets;

namespace Cairn.Storage.Rest;

/// <summary>
/// How a <see cref="RestBlobStore"/> reaches its server: the HTTP client and protocol version, and what a failure to
/// talk to it at all means (a refused connection, an rclone child that exited).
/// </summary>
internal abstract class RestTransport : IAsyncDisposable
{
    /// <summary>The root URL requests are made relative to, ending in '/'.</summary>
    public abstract Uri BaseUri { get; }

    /// <summary>The client that sends requests; responses are not buffered.</summary>
    public abstract HttpMessageInvoker Client { get; }

    /// <summary>The HTTP version every request asks for.</summary>
    public abstract Version HttpVersion { get; }

    /// <summary>Whether that version is required exactly (HTTP/2 with prior knowledge) or is an upper bound.</summary>
    public abstract HttpVersionPolicy VersionPolicy { get; }

    /// <summary>Turns a failure below HTTP (connect, TLS, lost connection) into the storage error to report.</summary>
    public abstract ValueTask<StorageException> ExplainAsync(Exception failure, string where);

    /// <summary>A position in the server's error log, taken before a request (0 where there is no such log).</summary>
    public virtual long ServerLogMark => 0;

    /// <summary>
    /// The server's own explanation of a failed request, when it gives one apart from the answer (rclone's log): the
    /// last error logged after <paramref name="mark"/>, or null.
    /// </summary>
    public virtual ValueTask<string?> ServerErrorSinceAsync(long mark) => ValueTask.FromResult<string?>(null);

    /// <inheritdoc/>
    public abstract ValueTask DisposeAsync();

    /// <summary>The failure explanation shared by every transport: socket errors that mean "not reachable" versus a lost connection.</summary>
    protected static StorageException ExplainNetworkFailure(Exception failure, string where)
    {
        if (failure is HttpRequestException http)
        {
            var socket = FindInner<SocketException>(http);
            switch (http.HttpRequestError)
            {
                case HttpRequestError.NameResolutionError:
                    return new StorageUnreachableException(where, "the host name could not be resolved", inner: failure);
                case HttpRequestError.SecureConnectionError:
                    // A certificate the system does not trust will not become trusted by retrying.
                    return new StorageException($"TLS connection to {where} failed: {http.Message}", isTransient: false, failure);
                case HttpRequestError.ConnectionError when socket is not null:
                    return new StorageUnreachableException(where, Describe(socket), inner: failure);
                case HttpRequestError.ConnectionError:
                    return new StorageUnreachableException(where, http.InnerException?.Message ?? http.Message, inner: failure);
            }
        }

        var message = FindInner<SocketException>(failure) is { } s ? Describe(s) : failure.Message;
        return new StorageException($"the connection to {where} was lost: {message}", isTransient: true, failure);
    }

    private static string Describe(SocketException socket) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "the host name could not be resolved",
        SocketError.TimedOut => "the connection timed out",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "no route to the host",
        SocketError.ConnectionReset => "the connection was reset",
        _ => socket.Message,
    };

    /// <summary>The first exception of type <typeparamref name="T"/> in <paramref name="e"/>'s chain of inner exceptions.</summary>
    protected static T? FindInner<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found) return found;
        }

        return null;
    }
}

/// <summary>A REST server reached over TCP, HTTP/1.1 with up to <see cref="TransferOptions.Connections"/> connections.</summary>
internal sealed class HttpTransport : RestTransport
{
    private readonly SocketsHttpHandler _handler;

    public HttpTransport(Uri baseUri, TransferOptions transfer)
    {
        BaseUri = baseUri;
        _handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = transfer.Connections,
            // A refused or black-holed connect should fail well before a long upload's timeout would.
            ConnectTimeout = transfer.RequestTimeout < TimeSpan.FromSeconds(30) ? transfer.RequestTimeout : TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        Client = new HttpMessageInvoker(_handler, disposeHandler: true);
    }

    public override Uri BaseUri { get; }

    public override HttpMessageInvoker Client { get; }

    public override Version HttpVersion => System.Net.HttpVersion.Version11;

    public override HttpVersionPolicy VersionPolicy => HttpVersionPolicy.RequestVersionOrLower;

    public override ValueTask<StorageException> ExplainAsync(Exception failure, string where) =>
        ValueTask.FromResult(ExplainNetworkFailure(failure, where));

    public override ValueTask DisposeAsync()
    {
        Client.Dispose();
        return ValueTask.CompletedTask;
    }
}
