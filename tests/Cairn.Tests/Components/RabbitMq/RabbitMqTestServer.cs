using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Cairn.Tests.Components.RabbitMq;

/// <summary>
/// The RabbitMQ node of tests/servers/rabbitmq.sh, seen through its management API: each test gets its own vhost with
/// exchanges, queues, bindings and a policy, removed when the test ends. The variables must be set (the tests fail,
/// not skip, without the server).
/// </summary>
internal sealed class RabbitMqTestServer : IDisposable
{
    private readonly HttpClient _client;

    public RabbitMqTestServer()
    {
        Url = Required("CAIRN_TEST_RABBITMQ_URL");
        User = Required("CAIRN_TEST_RABBITMQ_USER");
        Password = Required("CAIRN_TEST_RABBITMQ_PASSWORD");
        _client = new HttpClient { BaseAddress = new Uri(Url) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password)));
        Vhost = "t-" + Guid.NewGuid().ToString("N")[..10];
    }

    public string Url { get; }
    public string User { get; }
    public string Password { get; }

    /// <summary>This test's own vhost (created by <see cref="CreateVhostAsync"/>).</summary>
    public string Vhost { get; }

    public string V => Uri.EscapeDataString(Vhost);

    /// <summary>Creates the vhost with two exchanges, three queues, three bindings and a policy.</summary>
    public async Task CreateVhostAsync()
    {
        await PutAsync($"/api/vhosts/{V}", """{"description":"cairn test"}""");
        await PutAsync($"/api/permissions/{V}/{User}", """{"configure":".*","write":".*","read":".*"}""");
        await PutAsync($"/api/exchanges/{V}/ex.orders", """{"type":"topic","durable":true}""");
        await PutAsync($"/api/exchanges/{V}/ex.audit", """{"type":"fanout","durable":true,"arguments":{"alternate-exchange":"amq.fanout"}}""");
        await PutAsync($"/api/queues/{V}/orders.eu", """{"durable":true,"arguments":{"x-max-length":1000}}""");
        await PutAsync($"/api/queues/{V}/orders.us", """{"durable":true}""");
        await PutAsync($"/api/queues/{V}/audit.log", """{"durable":true,"arguments":{"x-queue-type":"classic","x-message-ttl":60000}}""");
        await SendAsync(HttpMethod.Post, $"/api/bindings/{V}/e/ex.orders/q/orders.eu", """{"routing_key":"eu.#"}""");
        await SendAsync(HttpMethod.Post, $"/api/bindings/{V}/e/ex.orders/q/orders.us", """{"routing_key":"us.#"}""");
        await SendAsync(HttpMethod.Post, $"/api/bindings/{V}/e/ex.audit/q/audit.log", """{"routing_key":""}""");
        await PutAsync($"/api/policies/{V}/orders-limit", """{"pattern":"^orders\\.","definition":{"max-length-bytes":1048576},"apply-to":"queues","priority":1}""");
    }

    public Task PutAsync(string path, string json) => SendAsync(HttpMethod.Put, path, json);

    public async Task SendAsync(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await _client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public Task DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    public async Task<JsonNode> GetAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The vhost's definitions in a canonical form (arrays sorted), to compare two states.</summary>
    public async Task<string> DefinitionsAsync()
    {
        var definitions = (JsonObject)await GetAsync($"/api/definitions/{V}");
        definitions.Remove("rabbit_version");
        definitions.Remove("rabbitmq_version");
        foreach (var (key, value) in definitions.ToList())
        {
            if (value is JsonArray array)
                definitions[key] = new JsonArray(array.Select(e => e!.ToJsonString()).Order(StringComparer.Ordinal).Select(s => JsonNode.Parse(s)).ToArray());
        }
        return definitions.ToJsonString();
    }

    /// <summary>The vhost's queue names, sorted.</summary>
    public async Task<List<string>> QueueNamesAsync() =>
        ((JsonArray)await GetAsync($"/api/queues/{V}?columns=name")).Select(q => (string)q!["name"]!).Order(StringComparer.Ordinal).ToList();

    /// <summary>A loopback URL where nothing listens (a server that is stopped).</summary>
    public static string ClosedPortUrl()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public void Dispose()
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/vhosts/{V}");
            _client.Send(request).Dispose();
        }
        catch (HttpRequestException)
        {
            // The server may be gone; the vhost goes with the next run's fresh node.
        }
        _client.Dispose();
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: start the server with 'source tests/servers/rabbitmq.sh' (test.sh does)");
}

/// <summary>The tests that change the shared RabbitMQ node run one at a time (a whole-broker import touches every vhost).</summary>
[CollectionDefinition("rabbitmq")]
public sealed class RabbitMqCollection;
