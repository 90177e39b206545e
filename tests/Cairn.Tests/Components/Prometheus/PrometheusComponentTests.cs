using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Cairn.Components;
using Cairn.Components.Prometheus;
using Cairn.Snapshots;
using Cairn.Tests.Storage.Rest;

namespace Cairn.Tests.Components.Prometheus;

/// <summary>
/// The prometheus component against the real server of tests/servers/prometheus.sh (admin API on, twelve hours of
/// backfilled blocks, scraping itself every second).
/// </summary>
public sealed class PrometheusComponentTests
{
    // A free port for a second server on a restored data directory (the test server has 29090).
    private const int SecondPort = 29091;

    private static string Url => Required("CAIRN_TEST_PROMETHEUS_URL");

    private static string DataDir => Required("CAIRN_TEST_PROMETHEUS_DATA");

    private static PrometheusOptions Options => new()
    {
        Url = Url,
        DataDir = DataDir,
        ConfigFiles = [Required("CAIRN_TEST_PROMETHEUS_CONFIG"), Required("CAIRN_TEST_PROMETHEUS_RULES")],
    };

    [Fact]
    public async Task Snapshot_restored_as_a_data_directory_serves_the_series_the_backup_held()
    {
        var time = Required("CAIRN_TEST_PROMETHEUS_SAMPLE_TIME");
        // A series of its own: the test deletes it from the server, and a rerun against the same server needs another.
        var series = $"cairn_test_metric{{series=\"{Random.Shared.Next(100, 200)}\"}}";
        var original = await ValueAsync(Url, series, time);
        Assert.NotNull(original);
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new PrometheusComponent("prometheus", Options);

        var snapshot = await harness.BackupAsync("prometheus", component);

        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        var recorded = Assert.Single(snapshot.Components);
        Assert.StartsWith("Prometheus 2.", recorded.ServerVersion, StringComparison.Ordinal);
        // Seven backfilled blocks (twelve hours not aligned to 2-hour ranges) plus the one the head was written to.
        Assert.True(recorded.Items!.Count >= 7, string.Join("; ", recorded.Items));
        Assert.Contains(recorded.Items!, i => i.Contains("200 series", StringComparison.Ordinal));
        var name = recorded.Details!["snapshot"];
        Assert.False(Directory.Exists(Path.Combine(DataDir, "snapshots", name)), "the snapshot was left on the server");

        // The deliberate change: the series goes from the server (its blocks get tombstones).
        using (var http = new HttpClient())
        {
            using var deleted = await http.PostAsync($"{Url}/api/v1/admin/tsdb/delete_series?match[]={Uri.EscapeDataString(series)}", null);
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Null(await ValueAsync(Url, series, time));

        var dataDir = Path.Combine(Required("CAIRN_TEST_PROMETHEUS_DIR"), "restored-" + Guid.NewGuid().ToString("N")[..8]);
        await harness.RestoreAsync(snapshot, "prometheus", component, new ComponentRestoreRequest { Target = dataDir });

        Assert.Equal(await File.ReadAllTextAsync(Options.ConfigFiles[0]),
            await File.ReadAllTextAsync(Path.Combine(dataDir, "config", Options.ConfigFiles[0].TrimStart('/'))));
        var second = $"http://127.0.0.1:{SecondPort}";
        var config = Path.Combine(dataDir + "-config.yml");
        await File.WriteAllTextAsync(config, "global:\n  scrape_interval: 1m\n");
        await using (var server = ScratchServer.Start("prometheus", ["--config.file", config, "--storage.tsdb.path", dataDir,
            "--web.listen-address", $"127.0.0.1:{SecondPort}"], dataDir + ".log"))
        {
            using var http = new HttpClient();
            await server.WaitUntilAsync(async () => (await http.GetAsync($"{second}/-/ready")).IsSuccessStatusCode);
            Assert.Equal(original, await ValueAsync(second, series, time));
            var other = "cairn_test_metric{series=\"8\"}";
            Assert.Equal(await ValueAsync(Url, other, time), await ValueAsync(second, other, time));
        }
        Directory.Delete(dataDir, recursive: true);
        File.Delete(config);
    }

    [Fact]
    public async Task A_second_backup_adds_only_the_new_head_block()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new PrometheusComponent("prometheus", Options);

        var first = Assert.Single((await harness.BackupAsync("prometheus", component)).Components);
        var second = Assert.Single((await harness.BackupAsync("prometheus", component)).Components);

        Assert.Equal(SnapshotStatus.Complete, second.Status);
        // The persistent blocks are in both snapshots (hard links of the server's own block folders); only the block
        // the head was written to is new each time, and it grows with the server's uptime, so no fixed ratio holds.
        var common = first.Items!.Select(Ulid).Intersect(second.Items!.Select(Ulid)).ToList();
        var commonBytes = common.Sum(u => Directory.EnumerateFiles(Path.Combine(DataDir, u), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length));
        // Twelve backfilled hours make 6 or 7 two-hour blocks, depending on where the hour boundaries fall today.
        Assert.True(common.Count >= 6 && commonBytes > 500_000, $"{common.Count} blocks of {commonBytes} bytes are in both snapshots");
        // (64 KiB of slack for the trees, which count as added too.)
        Assert.True(second.BytesAdded <= second.Bytes - commonBytes + 65536,
            $"the second backup added {second.BytesAdded} of {second.Bytes} bytes, though {commonBytes} of them were stored before");
    }

    private static string Ulid(string item) => item.Split(' ')[0];

    [Fact]
    public async Task A_stopped_server_fails_the_component()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new PrometheusComponent("prometheus", Options with { Url = $"http://127.0.0.1:{RestTestServers.ClosedPort()}" });

        var snapshot = await harness.BackupAsync("prometheus", component);

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        var recorded = Assert.Single(snapshot.Components);
        Assert.Contains("could not be reached", recorded.Error, StringComparison.Ordinal);
        Assert.Contains("Connection refused", recorded.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_dir_that_is_not_the_servers_fails_the_component()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var elsewhere = Path.Combine(harness.Root, "not-the-data-dir");
        Directory.CreateDirectory(elsewhere);
        var snapshots = Directory.Exists(Path.Combine(DataDir, "snapshots")) ? Directory.GetDirectories(Path.Combine(DataDir, "snapshots")).Length : 0;

        var snapshot = await harness.BackupAsync("prometheus", new PrometheusComponent("prometheus", Options with { DataDir = elsewhere }));

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("is data_dir the server's --storage.tsdb.path", Assert.Single(snapshot.Components).Error, StringComparison.Ordinal);
        // cairn cannot reach the server's snapshot then; it says so in the docs. Tidy up after this test.
        foreach (var dir in Directory.GetDirectories(Path.Combine(DataDir, "snapshots")).Skip(snapshots)) Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Restoring_in_place_under_a_running_server_is_refused()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new PrometheusComponent("prometheus", Options with { ConfigFiles = [] });
        var snapshot = await harness.BackupAsync("prometheus", component);

        var e = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "prometheus", component, new ComponentRestoreRequest()));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains("stop it before restoring", e.Message, StringComparison.Ordinal);
    }

    // The value of an instant query, or null when the series has none then.
    private static async Task<string?> ValueAsync(string url, string query, string time)
    {
        using var http = new HttpClient();
        var answer = JsonNode.Parse(await http.GetStringAsync($"{url}/api/v1/query?query={Uri.EscapeDataString(query)}&time={time}"))!;
        var result = answer["data"]!["result"]!.AsArray();
        return result.Count == 0 ? null : result[0]!["value"]![1]!.GetValue<string>();
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run ./test.sh (it starts the servers), or source tests/servers/prometheus.sh");
}
