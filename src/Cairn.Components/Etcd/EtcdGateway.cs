using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Components.Etcd;

/// <summary>
/// A client of etcd's v3 API through the JSON gateway every member serves on its client port (<c>/v3/...</c>, the
/// same calls etcdctl makes over gRPC): one reachable member, authenticated when a user is configured.
/// </summary>
/// <remarks>
/// The gateway needs nothing but HTTP, which keeps the backup free of a gRPC stack and of etcdctl, and it streams the
/// snapshot (etcdctl 3.4 can only write it to a file). The password goes in a request body, never on a command line.
/// </remarks>
internal sealed class EtcdGateway : IDisposable
{
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromMinutes(1);
    private readonly HttpClient _http;
    private readonly string? _user;
    private readonly string? _password;
    private string? _token;

    private EtcdGateway(HttpClient http, Uri endpoint, string? user, string? password)
    {
        _http = http;
        Endpoint = endpoint;
        _user = user;
        _password = password;
    }

    /// <summary>The member that answered.</summary>
    public Uri Endpoint { get; }

    /// <summary>That member's version, e.g. "3.4.23".</summary>
    public string ServerVersion { get; private set; } = "";

    /// <summary>
    /// Connects to the first of <paramref name="endpoints"/> that answers, and logs in when a user is configured.
    /// Unreachable members, TLS failures and refused credentials are <see cref="ComponentFailedException"/>s.
    /// </summary>
    public static async Task<EtcdGateway> ConnectAsync(EtcdOptions options, IReadOnlyList<string> endpoints, CancellationToken cancellationToken)
    {
        if (endpoints.Count == 0) throw new CairnException("etcd: no endpoints are configured", ExitCode.Usage);
        var tls = options.Cacert is not null || options.Cert is not null;
        var failures = new List<string>();
        foreach (var text in endpoints)
        {
            var endpoint = ParseEndpoint(text, tls);
            var http = new HttpClient(CreateHandler(options)) { BaseAddress = endpoint, Timeout = Timeout.InfiniteTimeSpan };
            var gateway = new EtcdGateway(http, endpoint, options.User, options.Password);
            try
            {
                var version = await gateway.SendAsync(HttpMethod.Get, "version", null, cancellationToken).ConfigureAwait(false);
                gateway.ServerVersion = version["etcdserver"]?.GetValue<string>() ?? "unknown";
            }
            catch (EtcdUnreachableException e)
            {
                failures.Add(e.Message);
                gateway.Dispose();
                continue;
            }
            catch (EtcdCallException e)
            {
                gateway.Dispose();
                throw new ComponentFailedException($"etcd at {endpoint}: {e.Message}", e);
            }
            try
            {
                await gateway.AuthenticateAsync(cancellationToken).ConfigureAwait(false);
                return gateway;
            }
            catch
            {
                gateway.Dispose();
                throw;
            }
        }
        throw new ComponentFailedException($"etcd could not be reached: {string.Join("; ", failures)}");
    }

    /// <summary>An endpoint from the config as a base URI; a bare "host:port" gets https when TLS is configured.</summary>
    public static Uri ParseEndpoint(string text, bool tls)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : (tls ? "https://" : "http://") + text;
        if (!Uri.TryCreate(withScheme.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CairnException($"etcd: '{text}' is not an endpoint (expected a URL such as http://127.0.0.1:2379)", ExitCode.Usage);
        return uri;
    }

    /// <summary>Calls a unary v3 method (e.g. "v3/kv/range") with a JSON body and returns the JSON answer.</summary>
    public async Task<JsonNode> CallAsync(string method, JsonObject body, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                return await SendAsync(HttpMethod.Post, method, body, cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdCallException e) when (e.Status == HttpStatusCode.Unauthorized && _user is not null)
            {
                // A simple token expires after five idle minutes (--auth-token-ttl); a long export can outlive one.
                await AuthenticateAsync(cancellationToken).ConfigureAwait(false);
                return await SendAsync(HttpMethod.Post, method, body, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is EtcdCallException or EtcdUnreachableException)
        {
            throw new ComponentFailedException($"etcd at {Endpoint}: {method} failed: {e.Message}", e);
        }
    }

    /// <summary>Starts a server-streaming v3 method and returns its response body: one JSON message per line.</summary>
    public async Task<HttpResponseMessage> StreamAsync(string method, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Post, method, body);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ComponentFailedException($"etcd at {Endpoint}: {method} failed: {e.Message}", e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new ComponentFailedException($"etcd at {Endpoint}: {method} failed: {ErrorMessage(text, response.StatusCode)}");
        }
    }

    /// <summary>The error text of a gateway error body (unary: {"error": "..."}; streamed: {"error": {"message": "..."}}).</summary>
    public static string ErrorMessage(string body, HttpStatusCode status)
    {
        try
        {
            var error = JsonNode.Parse(body)?["error"];
            if (error is JsonValue v && v.TryGetValue<string>(out var s)) return s;
            if (error?["message"] is JsonValue m && m.TryGetValue<string>(out var ms)) return ms;
        }
        catch (JsonException) { }
        var first = body.Split('\n', 2)[0].Trim();
        return first.Length > 0 ? $"HTTP {(int)status}: {first}" : $"HTTP {(int)status} {status}";
    }

    private async Task AuthenticateAsync(CancellationToken cancellationToken)
    {
        if (_user is null) return;
        _token = null;
        var body = new JsonObject { ["name"] = _user, ["password"] = _password ?? "" };
        try
        {
            var answer = await SendAsync(HttpMethod.Post, "v3/auth/authenticate", body, cancellationToken).ConfigureAwait(false);
            _token = answer["token"]?.GetValue<string>();
        }
        catch (EtcdCallException e) when (e.Message.Contains("authentication is not enabled", StringComparison.Ordinal))
        {
            // etcdctl --user also works against a cluster without authentication: requests go without a token.
        }
        catch (EtcdCallException e)
        {
            throw new ComponentFailedException($"etcd at {Endpoint} refused the login of user '{_user}': {e.Message}", e);
        }
        catch (EtcdUnreachableException e)
        {
            throw new ComponentFailedException($"etcd at {Endpoint}: logging in failed: {e.Message}", e);
        }
    }

    private async Task<JsonNode> SendAsync(HttpMethod verb, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_requestTimeout);
        using var request = NewRequest(verb, path, body);
        string text;
        HttpStatusCode status;
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            status = response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            throw new EtcdUnreachableException($"{Endpoint}: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EtcdUnreachableException($"{Endpoint}: no answer to {path} within {s_requestTimeout.TotalSeconds:0} s", e);
        }
        if ((int)status is < 200 or > 299) throw new EtcdCallException(status, ErrorMessage(text, status));
        try
        {
            return JsonNode.Parse(text) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new ComponentFailedException($"etcd at {Endpoint}: {path} answered something that is not JSON: {e.Message}", e);
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod verb, string path, JsonObject? body)
    {
        var request = new HttpRequestMessage(verb, path);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        if (_token is not null) request.Headers.TryAddWithoutValidation("Authorization", _token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    private static SocketsHttpHandler CreateHandler(EtcdOptions options)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (options.Cacert is not null)
        {
            // Trust exactly the cluster's CA (kubeadm: /etc/kubernetes/pki/etcd/ca.crt), as etcdctl --cacert does.
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(options.Cacert);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(roots);
            handler.SslOptions.CertificateChainPolicy = policy;
        }
        if (options.Cert is not null)
        {
            if (options.Key is null) throw new CairnException("etcd: cert is set but key is not (the client certificate's private key)", ExitCode.Usage);
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(options.Cert, options.Key)];
        }
        return handler;
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}

/// <summary>An etcd member did not answer (connection refused, TLS failure, timeout); the next endpoint may.</summary>
internal sealed class EtcdUnreachableException(string message, Exception inner) : Exception(message, inner);

/// <summary>An etcd member answered a v3 call with an error.</summary>
internal sealed class EtcdCallException(HttpStatusCode status, string message) : Exception(message)
{
    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode Status { get; } = status;
}
