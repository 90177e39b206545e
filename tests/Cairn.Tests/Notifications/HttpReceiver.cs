using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cairn.Tests.Notifications;

/// <summary>One request the receiver got.</summary>
internal sealed record ReceivedRequest(string Method, string Path, string Query, string ContentType, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A real HTTP server on loopback that the test runs (HttpListener): records every request and answers with the
/// statuses it is told, in order (the last one repeats), optionally after a delay (a hung endpoint).
/// </summary>
internal sealed class HttpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly Queue<HttpStatusCode> _statuses;
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Task _loop;

    public HttpReceiver(params HttpStatusCode[] statuses)
    {
        _statuses = new Queue<HttpStatusCode>(statuses.Length > 0 ? statuses : [HttpStatusCode.OK]);
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>Each answer waits this long first (a server that hangs).</summary>
    public TimeSpan Delay { get; set; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    /// <summary>Waits for the <paramref name="count"/>-th request in all (fails the test after 10 s).</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(int count)
    {
        while (_requests.Count < count) Assert.True(await _arrived.WaitAsync(TimeSpan.FromSeconds(10)), $"only {_requests.Count} of {count} requests arrived");
        return Requests;
    }

    /// <summary>A loopback port nothing listens on (for a channel that is down).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // the listener's close ends the loop with an exception: expected
        }
        _arrived.Dispose();
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
        HttpStatusCode status;
        lock (_statuses) status = _statuses.Count > 1 ? _statuses.Dequeue() : _statuses.Peek();
        _requests.Enqueue(new ReceivedRequest(request.HttpMethod, request.Url!.AbsolutePath, request.Url.Query, request.ContentType ?? "", headers, body));
        _arrived.Release();
        try
        {
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
            context.Response.StatusCode = (int)status;
            var answer = Encoding.UTF8.GetBytes(status == HttpStatusCode.OK ? "OK" : "nope");
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // the client gave up first (a hung-endpoint test): nothing to answer
        }
    }
}
