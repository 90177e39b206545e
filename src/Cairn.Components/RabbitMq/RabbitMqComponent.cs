using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Cairn.Components.Web;

namespace Cairn.Components.RabbitMq;

/// <summary>
/// The <c>rabbitmq</c> component: exports the broker's definitions (vhosts, users, permissions, exchanges, queues,
/// bindings, policies) through the management API as one JSON file, and imports them back. Messages are not definitions
/// and are not backed up.
/// </summary>
public sealed class RabbitMqComponent : IComponent
{
    /// <summary>The file the definitions are stored in, in the component's directory.</summary>
    public const string DefinitionsFile = "definitions.json";

    private readonly RabbitMqOptions _options;

    /// <summary>Makes the component; a URL that is not http(s) is a usage error here.</summary>
    public RabbitMqComponent(string name, RabbitMqOptions options)
    {
        Name = name;
        _options = options;
        WebEndpoint.ParseBaseUrl(options.Url, "url");
    }

    /// <summary>The component's name in its job.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        using var api = WebApi.Create(Endpoint(_options.Url));
        var overview = await api.GetJsonAsync("/api/overview", cancellationToken).ConfigureAwait(false);
        var manifest = backup.Manifest;
        var rabbit = Text(overview["rabbitmq_version"]);
        var erlang = Text(overview["erlang_version"]);
        manifest.ServerVersion = $"RabbitMQ {rabbit ?? "?"}, Erlang {erlang ?? "?"}";
        manifest.Tool = $"RabbitMQ management API {Text(overview["management_version"]) ?? rabbit ?? "?"}";
        manifest.Format = _options.Vhost is null ? "RabbitMQ definitions JSON (whole broker)" : "RabbitMQ definitions JSON (one vhost)";
        if (rabbit is not null) manifest.Details["rabbitmq_version"] = rabbit;
        if (erlang is not null) manifest.Details["erlang_version"] = erlang;
        manifest.Details["url"] = api.BaseUrl;
        if (_options.Vhost is { } vhost) manifest.Details["vhost"] = vhost;

        // Definitions are small (kilobytes to a few megabytes) and must be parsed to be counted and checked.
        var path = DefinitionsPath(_options.Vhost);
        var body = await api.GetBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (WebApi.ParseJson(body, $"GET {api.Resolve(path)}") is not JsonObject definitions)
            throw new ComponentFailedException($"GET {api.Resolve(path)}: the definitions are not a JSON object");
        using (var stream = new MemoryStream(body, writable: false))
            await backup.AddStreamAsync(DefinitionsFile, stream, cancellationToken).ConfigureAwait(false);

        var vhosts = _options.Vhost is { } only ? [only] : Names(definitions["vhosts"]);
        foreach (var v in vhosts) manifest.Items.Add($"vhost {v}");
        foreach (var kind in new[] { "queues", "exchanges", "bindings", "policies", "users" })
        {
            if (definitions[kind] is JsonArray list)
            {
                manifest.Items.Add($"{kind}: {list.Count}");
                manifest.Details[kind] = list.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        backup.Info($"definitions of {(_options.Vhost is null ? $"{vhosts.Count} vhost(s)" : $"vhost {_options.Vhost}")}: {string.Join(", ", manifest.Items.Where(i => i.Contains(':', StringComparison.Ordinal)))}");
    }

    /// <inheritdoc />
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Database is not null || request.Schema is not null || request.Table is not null || request.Key is not null || request.NewName is not null)
            throw new CairnException("a rabbitmq component restores all its definitions: only --to URL can be given", ExitCode.Usage);
        var baseUrl = request.Target ?? _options.Url;
        WebEndpoint.ParseBaseUrl(baseUrl, "--to");
        string? vhost = null;
        source.Recorded.Details?.TryGetValue("vhost", out vhost);
        using var api = WebApi.Create(Endpoint(baseUrl));

        var stream = source.Open(DefinitionsFile);
        await using (stream.ConfigureAwait(false))
        {
            using var content = new StreamContent(stream);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            // The import adds and updates; what exists on the server and not in the file stays.
            using var _ = await api.SendAsync(HttpMethod.Post, DefinitionsPath(vhost), content, cancellationToken).ConfigureAwait(false);
        }
        source.Info($"definitions imported into {api.BaseUrl}{(vhost is null ? "" : $" (vhost {vhost})")}");
    }

    private static string DefinitionsPath(string? vhost) => vhost is null ? "/api/definitions" : "/api/definitions/" + Uri.EscapeDataString(vhost);

    private WebEndpoint Endpoint(string url) => new()
    {
        BaseUrl = WebEndpoint.ParseBaseUrl(url, "url"),
        User = _options.User,
        Password = _options.Password,
        CaFile = _options.CaFile,
        Insecure = _options.Insecure,
        Timeout = _options.Timeout,
    };

    private static List<string> Names(JsonNode? list) =>
        list is JsonArray a ? a.Select(e => Text(e?["name"])).OfType<string>().ToList() : [];

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
