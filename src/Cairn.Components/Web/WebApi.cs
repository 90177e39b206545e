using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Components.Web;

/// <summary>
/// A small client for the HTTP APIs components talk to. Every way a request can go wrong (connection refused, timeout,
/// TLS, a non-2xx status, a body that is not the JSON expected) becomes a <see cref="ComponentFailedException"/>
/// naming the method and URL and quoting the status and the start of the body.
/// </summary>
public sealed class WebApi : IDisposable
{
    private const int QuotedBodyChars = 200;
    private readonly HttpClient _client;
    private readonly string _base;

    private WebApi(HttpClient client, Uri baseUrl)
    {
        _client = client;
        _base = baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    /// <summary>The base URL requests are relative to (for messages and manifests; it holds no credentials).</summary>
    public string BaseUrl => _base;

    /// <summary>Makes a client for the endpoint: its headers and credentials on every request, its TLS trust.</summary>
    public static WebApi Create(WebEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (endpoint.Insecure)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (endpoint.CaFile is { } caFile)
            handler.SslOptions.RemoteCertificateValidationCallback = PemTrust.Load(caFile, "ca_file").Validate;
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = endpoint.Timeout };
        var headers = client.DefaultRequestHeaders;
        if (endpoint.BearerToken is { Length: > 0 } token)
            headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if (endpoint.User is { Length: > 0 } user)
            headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + endpoint.Password)));
        foreach (var (name, value) in endpoint.Headers)
        {
            if (!headers.TryAddWithoutValidation(name, value))
                throw new CairnException($"header '{name}' cannot be set on requests", ExitCode.Usage);
        }
        headers.UserAgent.Add(new ProductInfoHeaderValue("cairn", ProgramInfo.Version));
        return new WebApi(client, endpoint.BaseUrl);
    }

    /// <summary>The absolute URL of <paramref name="pathAndQuery"/> ("/api/x?y=1") below the base URL.</summary>
    public Uri Resolve(string pathAndQuery) =>
        new(_base + (pathAndQuery.StartsWith('/') ? pathAndQuery : "/" + pathAndQuery));

    /// <summary>
    /// Sends a request and returns its response once the headers arrived (the body is still to be read). A status in
    /// <paramref name="tolerated"/> is returned like a success; any other non-2xx status fails.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content, CancellationToken cancellationToken,
        IReadOnlyCollection<int>? tolerated = null)
    {
        var url = Resolve(pathAndQuery);
        using var request = new HttpRequestMessage(method, url) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ComponentFailedException($"{method} {url} failed: {Describe(e)}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ComponentFailedException($"{method} {url} got no answer within {_client.Timeout.TotalSeconds:0} s", e);
        }
        if (response.IsSuccessStatusCode || (tolerated?.Contains((int)response.StatusCode) ?? false)) return response;
        using (response)
        {
            var start = await ReadStartAsync(response, cancellationToken).ConfigureAwait(false);
            throw new ComponentFailedException($"{method} {url} returned {(int)response.StatusCode} {response.ReasonPhrase}{(start.Length > 0 ? ": " + start : "")}");
        }
    }

    /// <summary>GETs a body whole (for indexes and documents that must be parsed); failures as <see cref="SendAsync"/>.</summary>
    public async Task<byte[]> GetBytesAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, pathAndQuery, null, cancellationToken).ConfigureAwait(false);
        return await ReadBodyAsync(response, HttpMethod.Get, pathAndQuery, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GETs and parses a JSON body; a body that is not JSON fails quoting its start.</summary>
    public async Task<JsonNode> GetJsonAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        var body = await GetBytesAsync(pathAndQuery, cancellationToken).ConfigureAwait(false);
        return ParseJson(body, $"GET {Resolve(pathAndQuery)}");
    }

    /// <summary>Reads a response's whole body; a connection lost half-way fails (a truncated body is never data).</summary>
    public async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, HttpMethod method, string pathAndQuery, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new ComponentFailedException($"{method} {Resolve(pathAndQuery)}: reading the body failed: {e.Message}", e);
        }
    }

    /// <summary>Parses <paramref name="body"/> as JSON, or fails naming <paramref name="what"/> and quoting the body's start.</summary>
    public static JsonNode ParseJson(byte[] body, string what)
    {
        try
        {
            return JsonNode.Parse(body) ?? throw new JsonException("the body is JSON null");
        }
        catch (JsonException e)
        {
            throw new ComponentFailedException($"{what}: the body is not JSON ({e.Message}): {Quote(Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, QuotedBodyChars * 4)))}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var _ = stream.ConfigureAwait(false);
            var buffer = new byte[QuotedBodyChars * 4];
            int read = 0, n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false)) > 0) read += n;
            return Quote(Encoding.UTF8.GetString(buffer, 0, read));
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return "";
        }
    }

    // One line, short: messages are one line, and a body may be a whole HTML error page.
    private static string Quote(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return line.Length <= QuotedBodyChars ? line : line[..QuotedBodyChars] + "…";
    }

    private static string Describe(HttpRequestException e)
    {
        // The innermost message says what happened ("Connection refused"); the outer one only that a request failed.
        Exception inner = e;
        while (inner.InnerException is { } next) inner = next;
        return inner == e || e.Message.Contains(inner.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message} ({inner.Message})";
    }
}
