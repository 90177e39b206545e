using System.Text;
using System.Text.Json.Nodes;
using Cairn.Components.Http;

namespace Cairn.Tests.Components.Http;

/// <summary>
/// The presets' request plans (URLs, methods, bodies) built from sample answers in the shapes the APIs document
/// (Samples/): Consul, Marathon, Chronos and Grafana cannot be installed here, so these stand in for their servers.
/// </summary>
public sealed class HttpPresetPlanTests
{
    private static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Components", "Http", "Samples", name));

    private static HttpRequestPlan PresetPlan(string preset) =>
        Assert.Single(HttpRequestPlan.Resolve(new HttpOptions { Url = "http://127.0.0.1:1", Preset = preset }));

    private static string Text(byte[] body) => Encoding.UTF8.GetString(body);

    [Fact]
    public void Consul_kv_puts_each_key_raw_with_its_flags()
    {
        var plan = PresetPlan("consul-kv");
        Assert.Equal("/v1/kv/?recurse", plan.Get);
        Assert.True(plan.IsSplit);
        Assert.Contains(404, plan.EmptyStatus);

        var items = HttpRestorePlanner.SplitItems(plan, Sample("consul-kv-recurse.json"), "sample");
        Assert.Equal(["app/config/db", "app/feature flags/beta", "app/empty/", "haproxy/backends"], items.Select(i => i.Name));
        var replays = HttpRestorePlanner.Plan(plan, items, key: null);

        Assert.All(replays, r => Assert.Equal(HttpMethod.Put, r.Method));
        Assert.All(replays, r => Assert.Equal("application/octet-stream", r.ContentType));
        Assert.Equal(["/v1/kv/app/config/db?flags=0", "/v1/kv/app/feature%20flags/beta?flags=42", "/v1/kv/app/empty/?flags=0", "/v1/kv/haproxy/backends?flags=0"],
            replays.Select(r => r.Url));
        Assert.Equal("postgres://db.internal:5432/app", Text(replays[0].Body));
        Assert.Equal("true", Text(replays[1].Body));
        Assert.Empty(replays[2].Body); // a folder key has no value
        Assert.Equal("""["web-1","web-2"]""", Text(replays[3].Body));
    }

    [Fact]
    public void Consul_kv_restore_of_one_prefix_only()
    {
        var plan = PresetPlan("consul-kv");
        var items = HttpRestorePlanner.SplitItems(plan, Sample("consul-kv-recurse.json"), "sample");

        Assert.Equal(["app/config/db", "app/feature flags/beta", "app/empty/"], HttpRestorePlanner.Plan(plan, items, "app/").Select(r => r.Item));
        Assert.Equal(["haproxy/backends"], HttpRestorePlanner.Plan(plan, items, "*/backends").Select(r => r.Item));
        Assert.Empty(HttpRestorePlanner.Plan(plan, items, "nothing/"));
    }

    [Fact]
    public void Marathon_lists_apps_fetches_each_and_puts_its_definition_without_computed_fields()
    {
        var plan = PresetPlan("marathon");
        Assert.True(plan.IsListThenFetch);
        var ids = HttpRestorePlanner.IndexItems(plan, Sample("marathon-apps.json"), "sample");
        Assert.Equal(["/web/frontend", "/worker"], ids);
        // Marathon ids are absolute paths: the template's own '/' is not doubled.
        Assert.Equal("/v2/apps/web/frontend", HttpTemplate.ExpandUrl(plan.Fetch!, _ => ids[0]));
        var file = HttpFileNames.Item(plan, ids[0], ".json");
        Assert.Equal("apps/%2Fweb%2Ffrontend.json", file);
        Assert.Equal("/web/frontend", HttpFileNames.ItemOf(plan, file));

        var replay = Assert.Single(HttpRestorePlanner.Plan(plan, [new HttpStoredItem("/web/frontend", Sample("marathon-app-web-frontend.json"))], null));
        Assert.Equal(HttpMethod.Put, replay.Method);
        Assert.Equal("/v2/apps/web/frontend", replay.Url);
        var body = Assert.IsType<JsonObject>(JsonNode.Parse(replay.Body));
        Assert.Equal("/web/frontend", (string?)body["id"]);
        Assert.Equal(2, (int?)body["instances"]);
        Assert.Equal("info", (string?)body["env"]!["LOG_LEVEL"]);
        Assert.NotNull(body["healthChecks"]);
        foreach (var computed in new[] { "version", "versionInfo", "tasks", "tasksRunning", "tasksHealthy", "tasksStaged", "tasksUnhealthy", "deployments", "lastTaskFailure" })
            Assert.False(body.ContainsKey(computed), computed);
    }

    [Fact]
    public void Chronos_posts_scheduled_jobs_to_iso8601_then_dependent_jobs_to_dependency()
    {
        var plan = PresetPlan("chronos");
        Assert.Equal("/scheduler/jobs", plan.Get);
        var items = HttpRestorePlanner.SplitItems(plan, Sample("chronos-jobs.json"), "sample");
        Assert.Equal(["report-after-dump", "nightly-dump"], items.Select(i => i.Name));

        var replays = HttpRestorePlanner.Plan(plan, items, null);

        // The dependent job comes first in the answer, but is sent after the job it depends on.
        Assert.Equal(["nightly-dump", "report-after-dump"], replays.Select(r => r.Item));
        Assert.Equal(["/scheduler/iso8601", "/scheduler/dependency"], replays.Select(r => r.Url));
        Assert.All(replays, r => Assert.Equal(HttpMethod.Post, r.Method));
        Assert.Equal("R/2024-01-01T02:00:00Z/P1D", (string?)JsonNode.Parse(replays[0].Body)!["schedule"]);
        Assert.Equal("nightly-dump", (string?)JsonNode.Parse(replays[1].Body)!["parents"]![0]);
    }

    [Fact]
    public void Grafana_dashboards_are_fetched_by_uid_and_posted_with_overwrite_into_their_folder()
    {
        var plan = PresetPlan("grafana-dashboards");
        Assert.StartsWith("/api/search?type=dash-db", plan.Get, StringComparison.Ordinal);
        var uids = HttpRestorePlanner.IndexItems(plan, Sample("grafana-search.json"), "sample");
        Assert.Equal(["hosts-overview", "rabbitmq"], uids);
        Assert.Equal("/api/dashboards/uid/hosts-overview", HttpTemplate.ExpandUrl(plan.Fetch!, _ => uids[0]));

        var replay = Assert.Single(HttpRestorePlanner.Plan(plan, [new HttpStoredItem("hosts-overview", Sample("grafana-dashboard-hosts-overview.json"))], null));

        Assert.Equal(HttpMethod.Post, replay.Method);
        Assert.Equal("/api/dashboards/db", replay.Url);
        var body = Assert.IsType<JsonObject>(JsonNode.Parse(replay.Body));
        Assert.True((bool?)body["overwrite"]);
        Assert.Equal("infra", (string?)body["folderUid"]);
        var dashboard = Assert.IsType<JsonObject>(body["dashboard"]);
        Assert.Equal("hosts-overview", (string?)dashboard["uid"]);
        Assert.Equal("CPU", (string?)dashboard["panels"]![0]!["title"]);
        Assert.False(dashboard.ContainsKey("id")); // the numeric id is the old server's
        Assert.False(body.ContainsKey("meta"));
    }

    [Fact]
    public void Grafana_datasources_are_posted_one_by_one_and_existing_ones_are_skipped()
    {
        var plan = PresetPlan("grafana-datasources");
        var items = HttpRestorePlanner.SplitItems(plan, Sample("grafana-datasources.json"), "sample");

        var replays = HttpRestorePlanner.Plan(plan, items, "Prom");

        var replay = Assert.Single(replays);
        Assert.Equal(HttpMethod.Post, replay.Method);
        Assert.Equal("/api/datasources", replay.Url);
        var body = Assert.IsType<JsonObject>(JsonNode.Parse(replay.Body));
        Assert.Equal("Prometheus", (string?)body["name"]);
        Assert.Equal("http://prometheus:9090", (string?)body["url"]);
        Assert.Equal("P1809F7CD0C75ACF3", (string?)body["uid"]);
        Assert.False(body.ContainsKey("id"));
        Assert.Contains(409, plan.RestoreIgnoreStatus);
    }

    [Fact]
    public void A_configured_request_overrides_only_the_fields_it_sets_and_others_are_added()
    {
        var plans = HttpRequestPlan.Resolve(new HttpOptions
        {
            Url = "http://grafana:3000",
            Preset = "grafana-dashboards",
            Requests =
            [
                new HttpRequestSpec { Name = "dashboards", Get = "/api/search?type=dash-db&tag=prod" },
                new HttpRequestSpec { Name = "health", Get = "/api/health", RestoreMethod = HttpRestoreMethod.None },
            ],
        });

        Assert.Equal(2, plans.Count);
        Assert.Equal("/api/search?type=dash-db&tag=prod", plans[0].Get);
        Assert.Equal("/api/dashboards/uid/{uid}", plans[0].Fetch);
        Assert.Equal("/api/dashboards/db", plans[0].RestoreUrl);
        Assert.Equal(HttpRestoreMethod.None, plans[1].RestoreMethod);
        Assert.Null(plans[1].RestoreUrl);
    }

    [Theory]
    [InlineData("nope", null, "unknown http preset 'nope'")]
    [InlineData(null, "", "needs get")]
    [InlineData(null, "split", "restore_url is needed")]
    [InlineData(null, "fetch-without-items", "fetch needs items")]
    [InlineData(null, "bad-path", "is not a path")]
    [InlineData(null, "bad-name", "must be given and made of letters")]
    public void Bad_options_are_usage_errors(string? preset, string? request, string message)
    {
        var requests = request switch
        {
            null => new List<HttpRequestSpec>(),
            "" => [new HttpRequestSpec { Name = "x" }],
            "split" => [new HttpRequestSpec { Name = "x", Get = "/list", Items = "[*].name" }],
            "fetch-without-items" => [new HttpRequestSpec { Name = "x", Get = "/list", Fetch = "/item/{id}" }],
            "bad-path" => [new HttpRequestSpec { Name = "x", Get = "/list", Items = "apps[*]id", Fetch = "/item/{id}" }],
            _ => [new HttpRequestSpec { Name = "../x", Get = "/list" }],
        };
        var e = Assert.Throws<CairnException>(() => HttpRequestPlan.Resolve(new HttpOptions { Url = "http://h", Preset = preset, Requests = requests }));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item_file_names_are_reversible_and_never_special()
    {
        var plan = new HttpRequestPlan { Name = "things", Get = "/things" };
        foreach (var name in new[] { "plain", "a/b c", "..", ".hidden", "_index", "100%", "ünïcode" })
        {
            var file = HttpFileNames.Item(plan, name, ".json");
            var leaf = file["things/".Length..];
            Assert.DoesNotContain('/', leaf);
            Assert.False(leaf.StartsWith('.') || leaf.StartsWith('_'), leaf);
            Assert.Equal(name, HttpFileNames.ItemOf(plan, file));
        }
        Assert.Null(HttpFileNames.ItemOf(plan, "things/_index.json"));
        Assert.Null(HttpFileNames.ItemOf(plan, "other/x.json"));
    }

    [Fact]
    public void Body_templates_put_fields_in_place_and_missing_ones_become_null()
    {
        var document = JsonNode.Parse("""{"a": {"b": [1, 2]}, "name": "q1", "n": 3}""")!;

        var body = JsonNode.Parse(HttpTemplate.ExpandBody("""{"x": "{a.b}", "label": "queue {name} #{n}", "gone": "{missing}", "k": true}""", document))!;

        Assert.Equal("[1,2]", body["x"]!.ToJsonString());
        Assert.Equal("queue q1 #3", (string?)body["label"]);
        Assert.Null(body["gone"]);
        Assert.True((bool?)body["k"]);
        Assert.Equal("""{"b":[1,2]}""", Encoding.UTF8.GetString(HttpTemplate.ExpandBody("{a}", document)));
    }
}
