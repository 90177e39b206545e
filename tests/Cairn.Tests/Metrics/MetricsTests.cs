using System.Diagnostics;
using System.Text.RegularExpressions;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Metrics;
using Cairn.Orchestration.Notifications;
using Cairn.Tests.Config;
using Cairn.Tests.Notifications;

namespace Cairn.Tests.Metrics;

/// <summary>The Prometheus metrics: served over HTTP, written as a node_exporter textfile, and named by the shipped alert rules.</summary>
public sealed partial class MetricsTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private CairnConfig Config() => _files.Load("""
        instance: research
        environment: prod
        targets: {t: {repository: /r}}
        jobs:
          db-nightly:
            targets: [t]
            rpo: 26h
            components: [{name: postgres, type: testdb, host: h, databases: [app]}]
          other:
            targets: [t]
            components: [{name: etc, type: files, paths: [/etc]}]
        """);

    private const string Db = """{environment="prod",instance_name="research",job_name="db-nightly"}""";
    private const string Other = """{environment="prod",instance_name="research",job_name="other"}""";

    /// <summary>The value of the sample <paramref name="series"/> (name and labels as exported), or null when absent.</summary>
    private static double? Value(IReadOnlyList<MetricSample> samples, string series)
    {
        var match = samples.Where(s => s.Name + "{" + string.Join(",", s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\"")) + "}" == series).ToList();
        return match.Count == 0 ? null : Assert.Single(match).Value;
    }

    [Fact]
    public async Task The_metric_server_serves_each_jobs_values_after_its_events()
    {
        var metrics = CairnMetrics.ForConfig(Config());
        var port = HttpReceiver.FreePort();
        await using var endpoint = MetricsEndpoint.Start($"127.0.0.1:{port}", metrics);
        using var http = new HttpClient();
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/metrics"), endpoint.Url);

        var before = MetricsTextfile.Parse(await http.GetStringAsync(endpoint.Url));
        Assert.Equal(0, Value(before, "cairn_job_running" + Db));
        Assert.Equal(26 * 3600, Value(before, "cairn_job_rpo_seconds" + Db));
        Assert.Null(Value(before, "cairn_job_rpo_seconds" + Other)); // no rpo, no series
        Assert.Null(Value(before, "cairn_job_last_success_timestamp_seconds" + Db));

        metrics.Observe(NotificationTestConfig.Started());
        Assert.Equal(1, Value(MetricsTextfile.Parse(await http.GetStringAsync(endpoint.Url)), "cairn_job_running" + Db));

        var success = NotificationTestConfig.Success();
        metrics.Observe(success);
        metrics.SetRepository("db-nightly", "t", snapshots: 7, bytes: 123456789);
        var failure = NotificationTestConfig.Failure();
        metrics.Observe(failure);
        var after = MetricsTextfile.Parse(await http.GetStringAsync(endpoint.Url));

        Assert.Equal(0, Value(after, "cairn_job_running" + Db));
        Assert.Equal(failure.Time.ToUnixTimeSeconds(), Value(after, "cairn_job_last_run_timestamp_seconds" + Db));
        Assert.Equal(success.Time.ToUnixTimeSeconds(), Value(after, "cairn_job_last_success_timestamp_seconds" + Db));
        Assert.Equal(0, Value(after, "cairn_job_last_run_success" + Db));
        Assert.Equal(1, Value(after, "cairn_job_failures_total" + Db));
        Assert.Equal(12.5, Value(after, "cairn_job_last_run_duration_seconds" + Db));
        Assert.Equal(1536, Value(after, "cairn_job_last_run_read_bytes" + Db));
        Assert.Equal(7, Value(after, """cairn_job_snapshots{environment="prod",instance_name="research",job_name="db-nightly",target="t"}"""));
        Assert.Equal(123456789, Value(after, """cairn_job_repository_size_bytes{environment="prod",instance_name="research",job_name="db-nightly",target="t"}"""));
        Assert.Null(Value(after, "cairn_job_last_run_timestamp_seconds" + Other));

        await endpoint.StopAsync();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync(endpoint.Url));
    }

    [Fact]
    public void A_malformed_metrics_address_is_a_usage_error()
    {
        var error = Assert.Throws<CairnException>(() => MetricsEndpoint.ParseAddress("127.0.0.1"));
        Assert.Equal(ExitCode.Usage, error.ExitCode);
        Assert.Equal(("+", 9465), MetricsEndpoint.ParseAddress(":9465"));
        Assert.Equal(("[::1]", 9465), MetricsEndpoint.ParseAddress("[::1]:9465"));
    }

    [Fact]
    public async Task The_textfile_keeps_other_jobs_values_and_this_jobs_failure_count_and_last_success()
    {
        var config = Config();
        var path = Path.Combine(_files.Root, "textfile", "cairn.prom");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var success = NotificationTestConfig.Success();

        // Each update is a new process in real life: a fresh CairnMetrics that knows only the file.
        await MetricsTextfile.UpdateAsync(path, CairnMetrics.ForConfig(config), m => m.Observe(success));
        await MetricsTextfile.UpdateAsync(path, CairnMetrics.ForConfig(config), m => m.Observe(NotificationTestConfig.Success("other")));
        await MetricsTextfile.UpdateAsync(path, CairnMetrics.ForConfig(config), m => m.Observe(NotificationTestConfig.Failure()));
        await MetricsTextfile.UpdateAsync(path, CairnMetrics.ForConfig(config), m => m.Observe(NotificationTestConfig.Failure() with { Time = success.Time.AddDays(2) }));

        var text = await File.ReadAllTextAsync(path);
        var samples = MetricsTextfile.Parse(text);
        Assert.Equal(2, Value(samples, "cairn_job_failures_total" + Db));
        Assert.Equal(success.Time.ToUnixTimeSeconds(), Value(samples, "cairn_job_last_success_timestamp_seconds" + Db));
        Assert.Equal(success.Time.AddDays(2).ToUnixTimeSeconds(), Value(samples, "cairn_job_last_run_timestamp_seconds" + Db));
        Assert.Equal(0, Value(samples, "cairn_job_last_run_success" + Db));
        Assert.Equal(1, Value(samples, "cairn_job_last_run_success" + Other));
        Assert.Equal(0, Value(samples, "cairn_job_failures_total" + Other));
        Assert.Equal(success.Time.ToUnixTimeSeconds(), Value(samples, "cairn_job_last_success_timestamp_seconds" + Other));
        // Replaced by rename: nothing but the file and its lock is left beside it.
        Assert.Equal(["cairn.prom", "cairn.prom.lock"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("# TYPE cairn_job_failures_total counter", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_textfile_passes_promtool_check_metrics()
    {
        var path = Path.Combine(_files.Root, "cairn.prom");
        await MetricsTextfile.UpdateAsync(path, CairnMetrics.ForConfig(Config()), m =>
        {
            m.Observe(NotificationTestConfig.Success());
            m.Observe(NotificationTestConfig.Failure("other"));
            m.SetRepository("db-nightly", "t", 3, 4096);
        });

        var (exit, output) = Promtool(File.ReadAllText(path), "check", "metrics");

        Assert.True(exit == 0, output);
        Assert.Equal("", output.Trim());
    }

    [Fact]
    public void The_alert_rules_parse_and_pass_their_unit_tests_with_promtool()
    {
        var directory = Path.Combine(ConfigSchemaTests.RepositoryRoot(), "deploy", "prometheus");

        var (checkExit, check) = Promtool(null, "check", "rules", Path.Combine(directory, "cairn-alerts.yml"));
        Assert.True(checkExit == 0, check);
        Assert.Contains("SUCCESS: 2 rules found", check, StringComparison.Ordinal);
        var (testExit, test) = Promtool(null, "test", "rules", Path.Combine(directory, "cairn-alerts.test.yml"));
        Assert.True(testExit == 0, test);
    }

    [Fact]
    public async Task The_alert_rules_name_only_metrics_that_cairn_exports()
    {
        var metrics = CairnMetrics.ForConfig(Config());
        metrics.Observe(NotificationTestConfig.Success());
        metrics.Observe(NotificationTestConfig.Failure());
        metrics.SetRepository("db-nightly", "t", 3, 4096);
        var exported = MetricsTextfile.Parse(await metrics.ToTextAsync()).Select(s => s.Name).ToHashSet();
        Assert.Equal(CairnMetrics.Names.Order(StringComparer.Ordinal), exported.Order(StringComparer.Ordinal));

        var rules = await File.ReadAllTextAsync(Path.Combine(ConfigSchemaTests.RepositoryRoot(), "deploy", "prometheus", "cairn-alerts.yml"));
        var named = MetricName().Matches(rules).Select(m => m.Value).ToHashSet();

        Assert.Contains("cairn_job_last_success_timestamp_seconds", named);
        Assert.Contains("cairn_job_rpo_seconds", named);
        Assert.Contains("cairn_job_last_run_success", named);
        Assert.All(named, name => Assert.Contains(name, exported));
    }

    [GeneratedRegex("cairn_[a-z_]+")]
    private static partial Regex MetricName();

    /// <summary>Runs Debian's promtool (installed with prometheus by tests/servers/prometheus.sh) with <paramref name="stdin"/>.</summary>
    private static (int Exit, string Output) Promtool(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: it comes with Debian's prometheus (tests/servers/prometheus.sh installs it)", e);
        }
        using (process)
        {
            process.StandardInput.Write(stdin ?? "");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(60_000), "promtool did not finish within a minute");
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }

    [Fact]
    public void Textfile_lines_with_escapes_timestamps_and_special_values_parse()
    {
        var samples = MetricsTextfile.Parse("""
            # HELP x A help line.
            # TYPE x gauge
            x{a="q\"uote",b="back\\slash"} 1.5e3 1700000000000
            y +Inf
            z{} NaN
            broken{a="unterminated} 1
            """);
        Assert.Equal(["x", "y", "z"], samples.Select(s => s.Name));
        Assert.Equal(("q\"uote", "back\\slash", 1500.0), (samples[0].Labels["a"], samples[0].Labels["b"], samples[0].Value));
        Assert.True(double.IsPositiveInfinity(samples[1].Value));
        Assert.True(double.IsNaN(samples[2].Value));
    }
}
