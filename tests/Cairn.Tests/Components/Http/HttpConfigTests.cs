using Cairn.Components;
using Cairn.Components.Http;
using Cairn.Components.RabbitMq;
using Cairn.Orchestration.Config;

namespace Cairn.Tests.Components.Http;

/// <summary>The http and rabbitmq options as the config file writes them (snake_case keys, *_file secrets, nested requests).</summary>
public sealed class HttpConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cairn-httpconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Presets_requests_and_secrets_bind_from_yaml()
    {
        File.WriteAllText(Path.Combine(_dir, "grafana.token"), "glsa_token_value\n");
        File.WriteAllText(Path.Combine(_dir, "rabbit.pass"), "rabbit-secret\n");
        var yaml = $$"""
            targets:
              primary: {repository: {{_dir}}/repo, password: x}
            jobs:
              platform:
                targets: [primary]
                components:
                  - name: dashboards
                    type: http
                    url: https://grafana.example.org
                    preset: grafana-dashboards
                    bearer_token_file: {{_dir}}/grafana.token
                    headers: {X-Org: "2"}
                    timeout: 30s
                    requests:
                      - {name: dashboards, get: "/api/search?type=dash-db&tag=prod"}
                      - name: jobs
                        get: /scheduler/jobs
                        items: "[*].name"
                        restore_method: post
                        restore_url: /scheduler/iso8601
                        restore_url_if: {parents: /scheduler/dependency}
                        restore_ignore_status: [409]
                        restore_remove: [successCount]
                  - {name: mq, type: rabbitmq, url: "http://127.0.0.1:15672", user: admin, password_file: {{_dir}}/rabbit.pass, vhost: app}
            """;

        var config = ConfigLoader.Parse(yaml, Path.Combine(_dir, "cairn.yaml"), null, new Dictionary<string, string?>(), ComponentCatalog.All);

        var components = Assert.Single(config.Jobs).Components;
        var http = Assert.IsType<HttpOptions>(components[0].Options);
        Assert.Equal("glsa_token_value", http.BearerToken);
        Assert.Equal("2", http.Headers["X-Org"]);
        Assert.Equal(TimeSpan.FromSeconds(30), http.Timeout);
        var plans = Assert.IsType<HttpComponent>(components[0].Type.Create(components[0].Name, http)).Plans;
        Assert.Equal(["dashboards", "jobs"], plans.Select(p => p.Name));
        Assert.Equal("/api/search?type=dash-db&tag=prod", plans[0].Get);
        Assert.Equal("/api/dashboards/uid/{uid}", plans[0].Fetch);
        Assert.Equal(HttpRestoreMethod.Post, plans[1].RestoreMethod);
        Assert.Equal("/scheduler/dependency", plans[1].RestoreUrlIf["parents"]);
        Assert.Equal([409], plans[1].RestoreIgnoreStatus);
        Assert.Equal("successCount", Assert.Single(plans[1].RestoreRemove).Text);

        var rabbit = Assert.IsType<RabbitMqOptions>(components[1].Options);
        Assert.Equal("rabbit-secret", rabbit.Password);
        Assert.Equal("app", rabbit.Vhost);
    }

    [Fact]
    public void An_unknown_preset_is_reported_when_the_component_is_made()
    {
        var type = ComponentCatalog.Find("http")!;

        var e = Assert.Throws<CairnException>(() => type.Create("x", new HttpOptions { Url = "http://h", Preset = "consul" }));

        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains("consul-kv", e.Message, StringComparison.Ordinal);
    }
}
