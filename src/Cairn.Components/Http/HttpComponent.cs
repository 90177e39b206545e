using System.Net.Http.Headers;
using Cairn.Components.Web;

namespace Cairn.Components.Http;

/// <summary>
/// The <c>http</c> component: GETs service definitions and key-value data from HTTP APIs (Consul, Marathon, Chronos,
/// Grafana, or any API described by requests) and stores each response as received; restore replays them as PUT or POST.
/// </summary>
public sealed class HttpComponent : IComponent
{
    private readonly HttpOptions _options;
    private readonly IReadOnlyList<HttpRequestPlan> _plans;

    /// <summary>Makes the component; bad options (unknown preset, a request without get, …) are usage errors here.</summary>
    public HttpComponent(string name, HttpOptions options)
    {
        Name = name;
        _options = options;
        _plans = HttpRequestPlan.Resolve(options);
        WebEndpoint.ParseBaseUrl(options.Url, "url");
    }

    /// <summary>The component's name in its job.</summary>
    public string Name { get; }

    /// <summary>The requests after the preset was merged in.</summary>
    public IReadOnlyList<HttpRequestPlan> Plans => _plans;

    /// <inheritdoc />
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        using var api = WebApi.Create(Endpoint(_options.Url));
        var manifest = backup.Manifest;
        manifest.Tool = $"cairn {ProgramInfo.Version} HTTP client (.NET {Environment.Version})";
        manifest.Format = "HTTP response bodies as received, one file per response";
        manifest.Details["url"] = api.BaseUrl;
        if (_options.Preset is { } preset) manifest.Details["preset"] = preset;
        foreach (var plan in _plans)
        {
            var (count, server) = plan.IsListThenFetch
                ? await ListThenFetchAsync(api, plan, backup, cancellationToken).ConfigureAwait(false)
                : await SingleAsync(api, plan, backup, cancellationToken).ConfigureAwait(false);
            manifest.ServerVersion ??= server;
            manifest.Items.Add(count is null ? plan.Name : $"{plan.Name}: {count} items");
            manifest.Details[$"request.{plan.Name}"] = plan.IsListThenFetch ? $"GET {plan.Get}, then {plan.Fetch} per item" : $"GET {plan.Get}";
        }
    }

    /// <inheritdoc />
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Database is not null || request.Schema is not null || request.Table is not null || request.NewName is not null)
            throw new CairnException("an http component restores items: select them with --key (and another server with --to URL)", ExitCode.Usage);
        var baseUrl = request.Target ?? _options.Url;
        WebEndpoint.ParseBaseUrl(baseUrl, "--to");
        using var api = WebApi.Create(Endpoint(baseUrl));
        int sent = 0, skipped = 0;
        foreach (var plan in _plans.Where(p => p.RestoreMethod != HttpRestoreMethod.None))
        {
            var items = await StoredItemsAsync(source, plan, cancellationToken).ConfigureAwait(false);
            foreach (var replay in HttpRestorePlanner.Plan(plan, items, request.Key))
            {
                using var content = new ByteArrayContent(replay.Body);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(replay.ContentType);
                using var response = await api.SendAsync(replay.Method, replay.Url, content, cancellationToken, plan.RestoreIgnoreStatus).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    sent++;
                }
                else
                {
                    skipped++;
                    source.Info($"{plan.Name}: {replay.Item} skipped: {replay.Method} {replay.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
                }
            }
        }
        if (request.Key is not null && sent + skipped == 0)
            throw new CairnException($"no stored item of component '{source.ComponentName}' matches --key '{request.Key}'", ExitCode.NotFound);
        source.Info($"{sent} item(s) restored to {api.BaseUrl}{(skipped > 0 ? $", {skipped} skipped" : "")}");
    }

    private WebEndpoint Endpoint(string url) => new()
    {
        BaseUrl = WebEndpoint.ParseBaseUrl(url, "url"),
        Headers = _options.Headers,
        BearerToken = _options.BearerToken,
        User = _options.User,
        Password = _options.Password,
        CaFile = _options.CaFile,
        Insecure = _options.Insecure,
        Timeout = _options.Timeout,
    };

    private static async Task<(int? Count, string? Server)> SingleAsync(WebApi api, HttpRequestPlan plan, IComponentBackup backup, CancellationToken ct)
    {
        using var response = await api.SendAsync(HttpMethod.Get, plan.Get, null, ct, plan.EmptyStatus).ConfigureAwait(false);
        var server = ServerOf(response);
        if (!response.IsSuccessStatusCode)
        {
            backup.Info($"{plan.Name}: GET {plan.Get} answered {(int)response.StatusCode}: nothing there");
            return (0, server);
        }
        var path = HttpFileNames.Single(plan, HttpFileNames.Extension(response.Content.Headers.ContentType));
        if (!plan.IsSplit)
        {
            await StoreStreamAsync(api, backup, plan.Get, response, path, ct).ConfigureAwait(false);
            return (null, server);
        }
        // Parsed before it is stored, so an answer that is not the list expected fails the component.
        var body = await api.ReadBodyAsync(response, HttpMethod.Get, plan.Get, ct).ConfigureAwait(false);
        var items = HttpRestorePlanner.SplitItems(plan, body, $"GET {api.Resolve(plan.Get)}");
        await StoreBytesAsync(backup, path, body, ct).ConfigureAwait(false);
        return (items.Count, server);
    }

    private static async Task<(int? Count, string? Server)> ListThenFetchAsync(WebApi api, HttpRequestPlan plan, IComponentBackup backup, CancellationToken ct)
    {
        using var index = await api.SendAsync(HttpMethod.Get, plan.Get, null, ct, plan.EmptyStatus).ConfigureAwait(false);
        var server = ServerOf(index);
        if (!index.IsSuccessStatusCode)
        {
            backup.Info($"{plan.Name}: GET {plan.Get} answered {(int)index.StatusCode}: nothing there");
            return (0, server);
        }
        var body = await api.ReadBodyAsync(index, HttpMethod.Get, plan.Get, ct).ConfigureAwait(false);
        var names = HttpRestorePlanner.IndexItems(plan, body, $"GET {api.Resolve(plan.Get)}");
        await StoreBytesAsync(backup, HttpFileNames.Index(plan, HttpFileNames.Extension(index.Content.Headers.ContentType)), body, ct).ConfigureAwait(false);
        int count = 0;
        foreach (var name in names)
        {
            if (name.Length == 0)
            {
                backup.Warn(plan.Name, "the index lists an empty item name; it was left out");
                continue;
            }
            var url = HttpTemplate.ExpandUrl(plan.Fetch!, _ => name);
            using var response = await api.SendAsync(HttpMethod.Get, url, null, ct).ConfigureAwait(false);
            var path = HttpFileNames.Item(plan, name, HttpFileNames.Extension(response.Content.Headers.ContentType));
            await StoreStreamAsync(api, backup, url, response, path, ct).ConfigureAwait(false);
            count++;
        }
        backup.Info($"{plan.Name}: {count} items");
        return (count, server);
    }

    private static async Task StoreStreamAsync(WebApi api, IComponentBackup backup, string url, HttpResponseMessage response, string path, CancellationToken ct)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var _ = stream.ConfigureAwait(false);
            await backup.AddStreamAsync(path, stream, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // A body cut short is not the document: the component fails rather than keep half of it.
            throw new ComponentFailedException($"GET {api.Resolve(url)}: reading the body failed: {e.Message}", e);
        }
    }

    private static async Task StoreBytesAsync(IComponentBackup backup, string path, byte[] body, CancellationToken ct)
    {
        using var stream = new MemoryStream(body, writable: false);
        await backup.AddStreamAsync(path, stream, ct).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<HttpStoredItem>> StoredItemsAsync(IComponentRestore source, HttpRequestPlan plan, CancellationToken ct)
    {
        var items = new List<HttpStoredItem>();
        foreach (var file in source.Files)
        {
            if (plan.IsListThenFetch)
            {
                if (HttpFileNames.ItemOf(plan, file.Path) is { } name) items.Add(new HttpStoredItem(name, await ReadAsync(source, file.Path, ct).ConfigureAwait(false)));
            }
            else if (HttpFileNames.IsSingle(plan, file.Path))
            {
                var body = await ReadAsync(source, file.Path, ct).ConfigureAwait(false);
                items.AddRange(plan.IsSplit ? HttpRestorePlanner.SplitItems(plan, body, $"stored file {file.Path}") : [new HttpStoredItem(plan.Name, body)]);
            }
        }
        return items;
    }

    private static async Task<byte[]> ReadAsync(IComponentRestore source, string path, CancellationToken ct)
    {
        var stream = source.Open(path);
        await using var _ = stream.ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static string? ServerOf(HttpResponseMessage response) =>
        response.Headers.Server.Count > 0 ? response.Headers.Server.ToString() : null;
}
