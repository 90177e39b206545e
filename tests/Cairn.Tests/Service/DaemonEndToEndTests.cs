using System.Text.Json;
using Cairn.Tests.Cli;
using Cairn.Tests.Components.Postgres;
using Cairn.Tests.Notifications;
using Cairn.Tests.Storage.S3;

namespace Cairn.Tests.Service;

/// <summary>
/// The daemon as an operator runs it, against real servers: PostgreSQL dumped into an s3rver repository on one schedule
/// and a file tree on another. The dump fails on purpose (a wrong password), the failure alert reaches a webhook
/// receiver, the served metrics count the failure, and once the password is put right the next scheduled run succeeds,
/// is announced too, and retention keeps the job's newest snapshots.
/// </summary>
public sealed class DaemonEndToEndTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new();
    private readonly PgTestServer _pg = new();
    private readonly string _bucket = S3TestServer.NewBucketName("daemon");
    // A role of this test's own, whose password the test changes while the daemon runs (the daemon read the password
    // file once, at start, as it reads its whole config).
    private readonly string _role = "daemon_e2e_" + Guid.NewGuid().ToString("N")[..8];
    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await _pg.CopyAsync("app");
        await _pg.QueryAsync("postgres", $"CREATE ROLE {_role} LOGIN PASSWORD 'not-yet'; GRANT pg_read_all_data TO {_role}");
    }

    public async Task DisposeAsync()
    {
        await _pg.DropAsync(_database);
        await _pg.QueryAsync("postgres", $"DROP ROLE IF EXISTS {_role}");
        await S3TestServer.DeleteBucketAsync(_bucket);
        _cli.Dispose();
    }

    [Fact]
    public async Task Two_schedules_fire_a_failed_dump_is_alerted_and_counted_and_the_next_run_succeeds()
    {
        var repository = $"s3:{S3TestServer.Endpoint}/{_bucket}/prod";
        _cli.Env["AWS_ACCESS_KEY_ID"] = S3TestServer.AccessKey;
        _cli.Env["AWS_SECRET_ACCESS_KEY"] = S3TestServer.SecretKey;
        await _cli.RunAsync(0, "-r", repository, "init");
        var passwordFile = Path.Combine(_cli.Root, "pg.pass");
        File.WriteAllText(passwordFile, "right-e2e-password\n");
        var tree = _cli.MakeTree();
        using var receiver = new HttpReceiver();
        int metricsPort = HttpReceiver.FreePort();
        var config = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(config, $$"""
            instance: research
            environment: prod
            targets:
              s3: {repository: "{{repository}}", password: {{CliHarness.Password}}}
            notifications:
              ops: {webhook: {url: "{{receiver.Url("/hook")}}"}, on: [failure, success]}
            jobs:
              db:
                targets: [s3]
                schedule: "*/2 * * * * *"
                retention: {keep_last: 2}
                components:
                  - {name: app, type: postgres, host: {{_pg.Host}}, port: {{_pg.Port}}, user: {{_role}}, password_file: {{passwordFile}},
                     databases: [{{_database}}], globals: false, bin_dir: {{_pg.BinDir}}}
              etc:
                targets: [s3]
                schedule: "*/3 * * * * *"
                components: [{name: etc, type: files, paths: [{{tree}}]}]
            """);
        _cli.Env["CAIRN_CONFIG"] = config;
        var stateDir = Path.Combine(_cli.Root, "state");

        var daemon = _cli.RunAsync("daemon", "--stop-after", "25s", "--state-dir", stateDir, "--log-format", "json", "--max-concurrent", "2",
            "--metrics", $"127.0.0.1:{metricsPort}");

        // The failed dump is announced, with PostgreSQL's reason.
        var failure = await WaitForEventAsync(receiver, "db", "failure", TimeSpan.FromSeconds(15));
        Assert.Equal("research", failure.GetProperty("instance").GetString());
        Assert.Equal("prod", failure.GetProperty("environment").GetString());
        Assert.Contains("password authentication failed", failure.GetProperty("error").GetString());

        // The metrics the daemon serves count it.
        using var http = new HttpClient();
        var scrape = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        Assert.Matches(@"cairn_job_failures_total\{[^}]*job_name=""db""[^}]*\} [1-9]", scrape);

        // Put the server's password right: a later slot succeeds and is announced.
        await _pg.QueryAsync("postgres", $"ALTER ROLE {_role} PASSWORD 'right-e2e-password'");
        var success = await WaitForEventAsync(receiver, "db", "success", TimeSpan.FromSeconds(15));
        Assert.NotNull(success.GetProperty("snapshot").GetString());
        await WaitForEventAsync(receiver, "etc", "success", TimeSpan.FromSeconds(15));
        scrape = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        Assert.Matches(@"cairn_job_last_success_timestamp_seconds\{[^}]*job_name=""db""[^}]*\} [1-9]", scrape);
        Assert.Matches(@"cairn_job_repository_size_bytes\{[^}]*job_name=""db""[^}]*target=""s3""[^}]*\} [1-9]", scrape);
        Assert.Matches(@"cairn_job_snapshots\{[^}]*job_name=""db""[^}]*target=""s3""[^}]*\} [1-9]", scrape);

        var run = await daemon;
        Assert.Equal(0, run.ExitCode);
        var state = JsonDocument.Parse(await File.ReadAllTextAsync(FindState(stateDir, "db"))).RootElement;
        Assert.True(state.GetProperty("failures_total").GetInt64() >= 1);
        Assert.True(state.GetProperty("last_success").ValueKind == JsonValueKind.String);
        // Retention (keep_last 2) ran after the successful runs: at most two complete db snapshots are left.
        var snapshots = (await _cli.RunAsync(0, "-r", repository, "snapshots", "--json")).Json.EnumerateArray()
            .Where(s => s.GetProperty("job").GetString() == "db" && s.GetProperty("status").GetString() == "complete").ToList();
        Assert.InRange(snapshots.Count, 1, 2);
        await _cli.RunAsync(0, "-r", repository, "check");
    }

    // Where the state file of an instance's job lives is the state store's business (README, Daemon and schedules).
    private static string FindState(string stateDir, string job) =>
        Directory.EnumerateFiles(stateDir, job + ".json", SearchOption.AllDirectories).Single();

    private static async Task<JsonElement> WaitForEventAsync(HttpReceiver receiver, string job, string kind, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var request in receiver.Requests)
            {
                var body = JsonDocument.Parse(request.Body).RootElement;
                if (body.GetProperty("job").GetString() == job && body.GetProperty("event").GetString() == kind) return body;
            }
            Assert.True(DateTime.UtcNow < deadline, $"no {kind} event for job {job} within {timeout.TotalSeconds:0} s; got {receiver.Requests.Count} requests");
            await Task.Delay(200);
        }
    }
}
