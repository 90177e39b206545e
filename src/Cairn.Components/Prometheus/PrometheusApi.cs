using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Components.Prometheus;

/// <summary>The few calls of Prometheus' HTTP API the component makes, with its {"status", "data", "error"} envelope.</summary>
internal sealed class PrometheusApi : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>A client of the server at <paramref name="url"/>, with basic authentication when a user is given.</summary>
    public PrometheusApi(string url, string? user, string? password)
    {
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri) || (baseUri.Scheme != "http" && baseUri.Scheme != "https"))
            throw new CairnException($"prometheus: url '{url}' is not an http(s) URL", ExitCode.Usage);
        BaseUri = baseUri;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = baseUri,
            // A snapshot of a big TSDB writes the head block out first; that can take minutes.
            Timeout = TimeSpan.FromMinutes(10),
        };
        if (user is not null)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    /// <summary>The server's base URL.</summary>
    public Uri BaseUri { get; }

    /// <summary>GET or POST <paramref name="path"/> ("api/v1/...") and return the "data" of a successful answer.</summary>
    public async Task<JsonNode> CallAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        string text;
        int status;
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            status = (int)response.StatusCode;
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ComponentFailedException($"Prometheus at {BaseUri} could not be reached: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ComponentFailedException($"Prometheus at {BaseUri} did not answer {path} within {_http.Timeout.TotalMinutes:0} minutes", e);
        }
        JsonNode? answer = null;
        try
        {
            answer = JsonNode.Parse(text);
        }
        catch (JsonException) { }
        if (answer?["status"]?.GetValue<string>() == "success" && answer["data"] is { } data) return data;
        var error = answer?["error"]?.GetValue<string>() ?? (text.Trim().Length > 0 ? text.Trim().Split('\n')[0] : "no answer");
        throw new ComponentFailedException($"Prometheus at {BaseUri}: {path} failed (HTTP {status}): {error}{Hint(error, status)}");
    }

    /// <summary>Whether the server answers its readiness endpoint (restore refuses to write under a running server).</summary>
    public async Task<bool> IsUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("-/ready", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static string Hint(string error, int status) =>
        error.Contains("admin APIs disabled", StringComparison.OrdinalIgnoreCase) ? " (start Prometheus with --web.enable-admin-api)"
        : status == 401 ? " (check user and password)"
        : "";

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
