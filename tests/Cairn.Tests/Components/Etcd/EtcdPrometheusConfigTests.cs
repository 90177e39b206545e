using Cairn.Components;
using Cairn.Components.Etcd;
using Cairn.Components.Prometheus;
using Cairn.Orchestration.Config;

namespace Cairn.Tests.Components.Etcd;

/// <summary>The etcd and prometheus options as the real config loader binds them from YAML (keys, defaults, secrets).</summary>
public sealed class EtcdPrometheusConfigTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cairn-etcdprom-config-" + Guid.NewGuid().ToString("N")[..12]);

    public EtcdPrometheusConfigTests()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "repo.pass"), "repository password\n");
    }

    private List<ComponentDefinition> Load(string components)
    {
        var path = Path.Combine(_dir, "cairn.yaml");
        var yaml = $"targets:\n  primary: {{repository: {_dir}/repo, password_file: {_dir}/repo.pass}}\njobs:\n  platform:\n    targets: [primary]\n    components:\n{components}";
        File.WriteAllText(path, yaml);
        return [.. ConfigLoader.Load(path, null, new Dictionary<string, string?>(), ComponentCatalog.All).Jobs.Single().Components];
    }

    [Fact]
    public void Etcd_options_bind_with_kubeadm_tls_files_and_a_password_file()
    {
        File.WriteAllText(Path.Combine(_dir, "etcd.pass"), "s3cret\n");
        var etcd = Load($"""
                  - name: etcd
                    type: etcd
                    endpoints: [https://10.0.0.1:2379, 10.0.0.2:2379]
                    user: root
                    password_file: {_dir}/etcd.pass
                    cacert: /etc/kubernetes/pki/etcd/ca.crt
                    cert: /etc/kubernetes/pki/etcd/healthcheck-client.crt
                    key: /etc/kubernetes/pki/etcd/healthcheck-client.key

            """).Single();

        var options = Assert.IsType<EtcdOptions>(etcd.Options);
        Assert.Equal(["https://10.0.0.1:2379", "10.0.0.2:2379"], options.Endpoints);
        Assert.Equal("s3cret", options.Password);
        Assert.Equal("/etc/kubernetes/pki/etcd/healthcheck-client.key", options.Key);
        Assert.IsType<EtcdComponent>(etcd.Create());
    }

    [Fact]
    public void Prometheus_options_keep_debians_defaults_when_not_given()
    {
        var prometheus = Load("""
                  - {name: prom, type: prometheus, config_files: [/etc/prometheus/prometheus.yml], skip_head: true}

            """).Single();

        var options = Assert.IsType<PrometheusOptions>(prometheus.Options);
        Assert.Equal("http://127.0.0.1:9090", options.Url);
        Assert.Equal("/var/lib/prometheus/metrics2", options.DataDir);
        Assert.True(options.SkipHead);
        Assert.Equal(["/etc/prometheus/prometheus.yml"], options.ConfigFiles);
        Assert.IsType<PrometheusComponent>(prometheus.Create());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
