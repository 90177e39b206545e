namespace Cairn.Components.Http;

/// <summary>
/// The http component's ready-made request lists, chosen with <c>preset:</c>. A configured request with the same name
/// overrides the fields it sets; requests with other names are added.
/// </summary>
public static class HttpPresets
{
    /// <summary>Every preset by name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<HttpRequestSpec>> All { get; } = new Dictionary<string, IReadOnlyList<HttpRequestSpec>>
    {
        // The whole KV tree in one answer; each entry comes back with its flags and its value, which Consul gives
        // base64-encoded and takes raw. An empty store answers 404.
        ["consul-kv"] =
        [
            new()
            {
                Name = "kv", Get = "/v1/kv/?recurse", Items = "[*].Key", EmptyStatus = [404],
                RestoreMethod = HttpRestoreMethod.Put, RestoreUrl = "/v1/kv/{Key}?flags={Flags}", RestoreBody = "base64:{Value}",
                RestoreContentType = "application/octet-stream",
            },
        ],
        // Each app's own definition; PUT creates or replaces it. The fields Marathon computes are dropped, as it
        // refuses some of them in a PUT.
        ["marathon"] =
        [
            new()
            {
                Name = "apps", Get = "/v2/apps", Items = "apps[*].id", Fetch = "/v2/apps/{id}",
                RestoreMethod = HttpRestoreMethod.Put, RestoreUrl = "/v2/apps/{id}", RestoreBody = "{app}",
                RestoreRemove = ["app.version", "app.versionInfo", "app.tasks", "app.tasksStaged", "app.tasksRunning", "app.tasksHealthy",
                    "app.tasksUnhealthy", "app.deployments", "app.lastTaskFailure", "app.readinessCheckResults"],
            },
        ],
        // All jobs in one answer; scheduled jobs go to iso8601, jobs with parents to dependency (after the others,
        // so their parents exist).
        ["chronos"] =
        [
            new()
            {
                Name = "jobs", Get = "/scheduler/jobs", Items = "[*].name",
                RestoreMethod = HttpRestoreMethod.Post, RestoreUrl = "/scheduler/iso8601",
                RestoreUrlIf = new() { ["parents"] = "/scheduler/dependency" },
            },
        ],
        // The search lists dashboards (not folders); each is fetched by uid with its folder, and posted back with
        // overwrite so an existing dashboard of that uid is replaced. The numeric id is the server's own.
        ["grafana-dashboards"] =
        [
            new()
            {
                Name = "dashboards", Get = "/api/search?type=dash-db&limit=5000", Items = "[*].uid", Fetch = "/api/dashboards/uid/{uid}",
                RestoreMethod = HttpRestoreMethod.Post, RestoreUrl = "/api/dashboards/db", RestoreRemove = ["dashboard.id"],
                RestoreBody = """{"dashboard": "{dashboard}", "folderUid": "{meta.folderUid}", "overwrite": true}""",
            },
        ],
        // All data sources in one answer (without their secure fields, which Grafana never returns); a data source
        // whose name exists already answers 409 and is left as it is.
        ["grafana-datasources"] =
        [
            new()
            {
                Name = "datasources", Get = "/api/datasources", Items = "[*].name",
                RestoreMethod = HttpRestoreMethod.Post, RestoreUrl = "/api/datasources", RestoreRemove = ["id"], RestoreIgnoreStatus = [409],
            },
        ],
    };
}
