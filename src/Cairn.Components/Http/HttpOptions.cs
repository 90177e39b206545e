namespace Cairn.Components.Http;

/// <summary>Options of the <c>http</c> component: an HTTP API, its credentials, and the requests whose answers are kept.</summary>
public sealed record HttpOptions : ComponentOptions
{
    /// <summary>The API's base URL, e.g. "http://consul:8500"; request paths are appended to it.</summary>
    public required string Url { get; init; }

    /// <summary>Ready-made requests: consul-kv, marathon, chronos, grafana-dashboards, grafana-datasources.</summary>
    public string? Preset { get; init; }

    /// <summary>Headers sent with every request (e.g. X-Consul-Token: ${CONSUL_TOKEN}).</summary>
    public Dictionary<string, string> Headers { get; init; } = [];

    /// <summary>Sent as "Authorization: Bearer …" (Grafana API tokens, Consul ACL tokens).</summary>
    [Secret]
    public string? BearerToken { get; init; }

    /// <summary>HTTP basic authentication user (with password).</summary>
    public string? User { get; init; }

    /// <summary>HTTP basic authentication password.</summary>
    [Secret]
    public string? Password { get; init; }

    /// <summary>PEM CA certificates the server's certificate must chain to.</summary>
    public string? CaFile { get; init; }

    /// <summary>Accept any server certificate (never in production).</summary>
    public bool Insecure { get; init; }

    /// <summary>How long one request may wait for its response.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The requests; with a preset, an entry with a preset request's name overrides the fields it sets.</summary>
    public List<HttpRequestSpec> Requests { get; init; } = [];
}

/// <summary>
/// One request of the <c>http</c> component: a single GET saved as a file, or (with <see cref="Fetch"/>) an index GET
/// whose item names are each fetched. Fields left out keep the preset's value (or the default).
/// </summary>
public sealed record HttpRequestSpec
{
    /// <summary>The request's name: its file (or directory) name in the snapshot; letters, digits, '-', '_' and '.'.</summary>
    public string? Name { get; init; }

    /// <summary>The path (and query) to GET: the document itself, or the index of a list-then-fetch.</summary>
    public string? Get { get; init; }

    /// <summary>
    /// Where the item names are: a JSON path into the index ("apps[*].id", "[*].uid", "[*]"). Without <see cref="Fetch"/>
    /// the GET's answer itself is the list of items (an array of objects), which restore replays one by one.
    /// </summary>
    public string? Items { get; init; }

    /// <summary>json (default): <see cref="Items"/> is a JSON path; lines: the index is text, one item name a line.</summary>
    public HttpIndexFormat? IndexFormat { get; init; }

    /// <summary>The URL template each item is fetched from, e.g. "/v2/apps/{id}" ({…} is the item name).</summary>
    public string? Fetch { get; init; }

    /// <summary>Statuses that mean "nothing there" (Consul answers 404 for an empty KV store): nothing is stored.</summary>
    public List<int>? EmptyStatus { get; init; }

    /// <summary>put (default), post, patch, or none (never restored).</summary>
    public HttpRestoreMethod? RestoreMethod { get; init; }

    /// <summary>
    /// The URL template restore sends each item to; {item} (or the items path's last field) is the item's name, any
    /// other {a.b} a field of the stored document. Default: the fetch template, or the GET path.
    /// </summary>
    public string? RestoreUrl { get; init; }

    /// <summary>Field → URL: an item whose field is present and not empty goes to that URL instead (sent after the others).</summary>
    public Dictionary<string, string>? RestoreUrlIf { get; init; }

    /// <summary>
    /// The body restore sends: default the stored document; "{field}" one field of it; a JSON template whose string
    /// values "{field}" are replaced by those fields; "base64:{field}" the bytes of a base64 field (Consul values).
    /// </summary>
    public string? RestoreBody { get; init; }

    /// <summary>Fields removed from the stored document before the body is made (read-only fields such as "app.version").</summary>
    public List<string>? RestoreRemove { get; init; }

    /// <summary>Statuses restore reports as "skipped" instead of failing (e.g. 409: already exists).</summary>
    public List<int>? RestoreIgnoreStatus { get; init; }

    /// <summary>The Content-Type of restore bodies; default application/json.</summary>
    public string? RestoreContentType { get; init; }
}

/// <summary>How an index lists its items.</summary>
public enum HttpIndexFormat
{
    /// <summary>A JSON document; the items option is a path into it.</summary>
    Json,

    /// <summary>Plain text, one item name a line.</summary>
    Lines,
}

/// <summary>The HTTP method restore replays a stored document with.</summary>
public enum HttpRestoreMethod
{
    /// <summary>PUT the document to the restore URL.</summary>
    Put,

    /// <summary>POST the document to the restore URL.</summary>
    Post,

    /// <summary>PATCH the document to the restore URL.</summary>
    Patch,

    /// <summary>The request is kept for reading only; restore skips it.</summary>
    None,
}
