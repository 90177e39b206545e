using System.Text.RegularExpressions;

namespace Cairn.Components.Http;

/// <summary>One request of an http component with the preset merged in, defaults applied and every field checked.</summary>
public sealed partial record HttpRequestPlan
{
    /// <summary>The request's name: its file or directory name in the component's directory.</summary>
    public required string Name { get; init; }

    /// <summary>The path to GET: the document, or the index.</summary>
    public required string Get { get; init; }

    /// <summary>Where the item names are (a JSON index or the answer's own elements), or null for one document.</summary>
    public JsonFieldPath? Items { get; init; }

    /// <summary>How the index lists its items.</summary>
    public HttpIndexFormat IndexFormat { get; init; }

    /// <summary>The item URL template of a list-then-fetch, or null.</summary>
    public string? Fetch { get; init; }

    /// <summary>Statuses of the GET that mean "nothing there".</summary>
    public IReadOnlyList<int> EmptyStatus { get; init; } = [];

    /// <summary>How restore replays a document.</summary>
    public HttpRestoreMethod RestoreMethod { get; init; }

    /// <summary>The URL template restore sends each item to (null only when <see cref="RestoreMethod"/> is none).</summary>
    public string? RestoreUrl { get; init; }

    /// <summary>Field → URL template for items whose field is present and not empty.</summary>
    public IReadOnlyDictionary<string, string> RestoreUrlIf { get; init; } = new Dictionary<string, string>();

    /// <summary>The body template, or null for the stored document.</summary>
    public string? RestoreBody { get; init; }

    /// <summary>Fields removed from the document before the body is made.</summary>
    public IReadOnlyList<JsonFieldPath> RestoreRemove { get; init; } = [];

    /// <summary>Restore statuses reported as skipped.</summary>
    public IReadOnlyList<int> RestoreIgnoreStatus { get; init; } = [];

    /// <summary>The Content-Type of restore bodies.</summary>
    public string RestoreContentType { get; init; } = "application/json";

    /// <summary>GET an index, then each item.</summary>
    public bool IsListThenFetch => Fetch is not null;

    /// <summary>One answer that holds the items itself (a JSON array of objects), replayed one by one.</summary>
    public bool IsSplit => Fetch is null && Items is not null;

    /// <summary>The placeholder name that means the item's name besides "{item}": the items path's last field ("id").</summary>
    public string? ItemField => Items?.LastField;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex ValidName();

    /// <summary>The component's requests: the preset's, overridden and extended by the configured ones; usage errors for bad options.</summary>
    public static IReadOnlyList<HttpRequestPlan> Resolve(HttpOptions options)
    {
        var merged = new List<HttpRequestSpec>();
        if (options.Preset is { } preset)
        {
            if (!HttpPresets.All.TryGetValue(preset, out var presetRequests))
                throw new CairnException($"unknown http preset '{preset}' (known: {string.Join(", ", HttpPresets.All.Keys)})", ExitCode.Usage);
            merged.AddRange(presetRequests);
        }
        foreach (var request in options.Requests)
        {
            int same = merged.FindIndex(r => r.Name is not null && r.Name == request.Name);
            if (same >= 0 && options.Preset is not null && HttpPresets.All[options.Preset].Any(p => p.Name == request.Name))
                merged[same] = Override(merged[same], request);
            else if (same >= 0)
                throw new CairnException($"http request name '{request.Name}' is used twice", ExitCode.Usage);
            else
                merged.Add(request);
        }
        if (merged.Count == 0) throw new CairnException("an http component needs a preset or at least one entry in requests", ExitCode.Usage);
        return merged.Select(Check).ToList();
    }

    private static HttpRequestSpec Override(HttpRequestSpec preset, HttpRequestSpec given) => new()
    {
        Name = preset.Name,
        Get = given.Get ?? preset.Get,
        Items = given.Items ?? preset.Items,
        IndexFormat = given.IndexFormat ?? preset.IndexFormat,
        Fetch = given.Fetch ?? preset.Fetch,
        EmptyStatus = given.EmptyStatus ?? preset.EmptyStatus,
        RestoreMethod = given.RestoreMethod ?? preset.RestoreMethod,
        RestoreUrl = given.RestoreUrl ?? preset.RestoreUrl,
        RestoreUrlIf = given.RestoreUrlIf ?? preset.RestoreUrlIf,
        RestoreBody = given.RestoreBody ?? preset.RestoreBody,
        RestoreRemove = given.RestoreRemove ?? preset.RestoreRemove,
        RestoreIgnoreStatus = given.RestoreIgnoreStatus ?? preset.RestoreIgnoreStatus,
        RestoreContentType = given.RestoreContentType ?? preset.RestoreContentType,
    };

    private static HttpRequestPlan Check(HttpRequestSpec r)
    {
        if (r.Name is null || !ValidName().IsMatch(r.Name) || r.Name.StartsWith("_", StringComparison.Ordinal))
            throw new CairnException($"http request name '{r.Name}' must be given and made of letters, digits, '-', '_' and '.'", ExitCode.Usage);
        string where = $"http request '{r.Name}'";
        if (string.IsNullOrWhiteSpace(r.Get)) throw new CairnException($"{where} needs get (the path to GET)", ExitCode.Usage);
        var format = r.IndexFormat ?? HttpIndexFormat.Json;
        if (format == HttpIndexFormat.Lines && r.Fetch is null)
            throw new CairnException($"{where}: index_format lines needs fetch (the URL template of each item)", ExitCode.Usage);
        if (r.Fetch is not null && format == HttpIndexFormat.Json && r.Items is null)
            throw new CairnException($"{where}: fetch needs items (the JSON path of the item names in the index, e.g. '[*].id')", ExitCode.Usage);
        var items = r.Items is null || format == HttpIndexFormat.Lines ? null : JsonFieldPath.Parse(r.Items, $"{where}: items");
        if (r.Fetch is null && items is not null && (items.LastField is null || !items.HasWildcard))
            throw new CairnException($"{where}: without fetch, items must name a field of each element, like '[*].Key'", ExitCode.Usage);
        var method = r.RestoreMethod ?? HttpRestoreMethod.Put;
        var restoreUrl = r.RestoreUrl ?? (items is not null && r.Fetch is null ? null : r.Fetch ?? r.Get);
        if (method != HttpRestoreMethod.None && restoreUrl is null)
            throw new CairnException($"{where}: restore_url is needed to replay the items of one answer (or restore_method: none)", ExitCode.Usage);
        return new HttpRequestPlan
        {
            Name = r.Name,
            Get = r.Get,
            Items = items,
            IndexFormat = format,
            Fetch = r.Fetch,
            EmptyStatus = r.EmptyStatus ?? [],
            RestoreMethod = method,
            RestoreUrl = method == HttpRestoreMethod.None ? null : restoreUrl,
            RestoreUrlIf = r.RestoreUrlIf ?? [],
            RestoreBody = r.RestoreBody,
            RestoreRemove = (r.RestoreRemove ?? []).Select(p => JsonFieldPath.Parse(p, $"{where}: restore_remove")).ToList(),
            RestoreIgnoreStatus = r.RestoreIgnoreStatus ?? [],
            RestoreContentType = r.RestoreContentType ?? "application/json",
        };
    }
}
