using System.Text;
using Cairn.Components;
using Cairn.Components.Web;
using Cairn.Tests.Components.RabbitMq;

namespace Cairn.Tests.Components.Http;

/// <summary>The http components' shared client against a real API (RabbitMQ's management API of tests/servers/rabbitmq.sh).</summary>
[Collection("rabbitmq")]
public sealed class WebApiTests : IDisposable
{
    private readonly RabbitMqTestServer _server = new();

    public void Dispose() => _server.Dispose();

    private WebApi Api(string? password = null, string? url = null, Dictionary<string, string>? headers = null) => WebApi.Create(new WebEndpoint
    {
        BaseUrl = new Uri(url ?? _server.Url),
        User = _server.User,
        Password = password ?? _server.Password,
        Headers = headers ?? [],
    });

    [Fact]
    public async Task Basic_authentication_and_headers_reach_the_server()
    {
        using var api = Api(headers: new() { ["X-Cairn-Test"] = "1" });

        var overview = await api.GetJsonAsync("/api/overview", CancellationToken.None);

        Assert.StartsWith("3.", (string?)overview["rabbitmq_version"], StringComparison.Ordinal);
        Assert.Equal(_server.User, (string?)(await api.GetJsonAsync("/api/whoami", CancellationToken.None))["name"]);
    }

    [Fact]
    public async Task A_refused_login_fails_with_method_url_status_and_body()
    {
        using var api = Api(password: "wrong");

        var e = await Assert.ThrowsAsync<ComponentFailedException>(() => api.GetJsonAsync("/api/overview", CancellationToken.None));

        Assert.Equal(ExitCode.ComponentFailed, e.ExitCode);
        Assert.Equal($"GET {_server.Url}/api/overview returned 401 Unauthorized: {{\"error\":\"not_authorized\",\"reason\":\"Login failed\"}}", e.Message);
    }

    [Fact]
    public async Task A_closed_port_fails_naming_the_url()
    {
        var url = RabbitMqTestServer.ClosedPortUrl();
        using var api = Api(url: url);

        var e = await Assert.ThrowsAsync<ComponentFailedException>(() => api.GetBytesAsync("/api/overview", CancellationToken.None));

        Assert.StartsWith($"GET {url}/api/overview failed: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("refused", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_body_that_is_not_json_fails_quoting_its_start()
    {
        using var api = Api();

        var e = await Assert.ThrowsAsync<ComponentFailedException>(() => api.GetJsonAsync("/", CancellationToken.None));

        Assert.Contains("the body is not JSON", e.Message, StringComparison.Ordinal);
        Assert.Contains("<!DOCTYPE", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task Tolerated_statuses_are_returned_instead_of_failing()
    {
        using var api = Api();

        using var response = await api.SendAsync(HttpMethod.Get, "/api/queues/no-such-vhost-here/q", null, CancellationToken.None, tolerated: [404]);

        Assert.Equal(404, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("ftp://host/x", "is not an http:// or https:// URL")]
    [InlineData("http://user:secret@host:15672", "must not contain a user or password")]
    [InlineData("not a url", "is not an http:// or https:// URL")]
    public void Bad_base_urls_are_usage_errors_that_never_echo_a_password(string url, string message)
    {
        var e = Assert.Throws<CairnException>(() => WebEndpoint.ParseBaseUrl(url, "url"));

        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ca_file_without_certificates_is_a_usage_error()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not a certificate\n", Encoding.ASCII);
            var e = Assert.Throws<CairnException>(() => WebApi.Create(new WebEndpoint { BaseUrl = new Uri("https://h"), CaFile = file }));
            Assert.Equal(ExitCode.Usage, e.ExitCode);
            Assert.Contains("ca_file", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
