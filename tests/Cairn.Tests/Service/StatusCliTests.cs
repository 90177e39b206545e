using System.Text.Json;
using Cairn.Orchestration.Service;
using Cairn.Tests.Cli;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Tests.Service;

/// <summary>cairn status: real job runs and state files, measured with the CLI's clock moved past the rpo.</summary>
public sealed class StatusCliTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string _src = "";

    private async Task WriteConfigAsync(string instance = "lab", string extraTargets = "", string extraJobs = "")
    {
        if (_src.Length == 0)
        {
            await _cli.InitAsync();
            _src = _cli.MakeTree();
        }
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        await File.WriteAllTextAsync(path, $$"""
            instance: {{instance}}
            environment: prod
            targets:
              a: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
            {{extraTargets}}
            jobs:
              nightly: {targets: [a], schedule: "0 2 * * *", time_zone: Europe/Berlin, jitter: 10m, rpo: 26h, components: [{name: etc, type: files, paths: [{{_src}}]}]}
              other: {targets: [a], components: [{name: etc, type: files, paths: [{{_src}}]}]}
            {{extraJobs}}
            """);
        _cli.Env["CAIRN_CONFIG"] = path;
    }

    private static Dictionary<string, JsonElement> ByJob(CliResult result) =>
        result.Json.EnumerateArray().ToDictionary(j => j.GetProperty("job").GetString()!);

    // What the repository's files take on disk, locks left out: what status must report as the repository's size.
    private long RepositoryBytesOnDisk() =>
        Directory.EnumerateFiles(_cli.Repo, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(_cli.Repo, f).StartsWith("locks", StringComparison.Ordinal))
            .Sum(f => new FileInfo(f).Length);

    [Fact]
    public async Task A_fresh_job_is_within_its_rpo_with_its_snapshot_count_and_the_repository_size()
    {
        await WriteConfigAsync();
        await _cli.RunAsync(0, "job", "run", "nightly");
        var second = (await _cli.RunAsync(0, "job", "run", "nightly", "--json")).Json.GetProperty("snapshot_id").GetString();
        await _cli.RunAsync(0, "job", "run", "other");
        // A snapshot of the same job under another instance is not this instance's.
        await WriteConfigAsync(instance: "elsewhere");
        await _cli.RunAsync(0, "job", "run", "nightly");
        await WriteConfigAsync();

        var result = await _cli.RunAsync(0, "status", "--json");
        var jobs = ByJob(result);
        Assert.Equal(2, jobs.Count);
        var nightly = jobs["nightly"];
        Assert.Equal(("lab", "prod"), (nightly.GetProperty("instance").GetString(), nightly.GetProperty("environment").GetString()));
        Assert.Equal("success", nightly.GetProperty("last_outcome").GetString());
        Assert.Equal(second, nightly.GetProperty("last_success_snapshot").GetString());
        Assert.Equal(2, nightly.GetProperty("snapshots").GetInt64());
        Assert.Equal(1, jobs["other"].GetProperty("snapshots").GetInt64());
        Assert.Equal("a", nightly.GetProperty("target").GetString());
        Assert.False(nightly.GetProperty("stale").GetBoolean());
        Assert.Equal(26 * 3600, nightly.GetProperty("rpo_seconds").GetInt64());
        Assert.InRange(nightly.GetProperty("age_seconds").GetInt64(), 0, 120);
        Assert.Equal(600, nightly.GetProperty("jitter_seconds").GetInt64());
        Assert.Equal(JsonValueKind.Null, nightly.GetProperty("error").ValueKind);
        long bytes = RepositoryBytesOnDisk();
        Assert.True(bytes > 200_000, $"the repository holds the 200 kB random file, but takes {bytes} bytes");
        Assert.Equal(bytes, nightly.GetProperty("repository_bytes").GetInt64());
        Assert.Equal(bytes, jobs["other"].GetProperty("repository_bytes").GetInt64());
        // The job without rpo or schedule is never stale and has no next run.
        Assert.False(jobs["other"].GetProperty("stale").GetBoolean());
        Assert.Equal(JsonValueKind.Null, jobs["other"].GetProperty("rpo_seconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, jobs["other"].GetProperty("next_run").ValueKind);

        var table = (await _cli.RunAsync(0, "status")).Stdout;
        Assert.Contains("rpo 26h: ok", table);
        Assert.Contains(second![..8], table);
        Assert.DoesNotContain("STALE", table);

        var one = ByJob(await _cli.RunAsync(0, "status", "--job", "other", "--json"));
        Assert.Equal(["other"], one.Keys);
        CliHarness.AssertOneLine(await _cli.RunAsync(17, "status", "--job", "nope"), "no job 'nope'");
    }

    [Fact]
    public async Task Past_its_rpo_a_job_is_stale_with_exit_23_and_its_next_run_comes_from_its_schedule()
    {
        await WriteConfigAsync();
        await _cli.RunAsync(0, "job", "run", "nightly");
        var finished = ByJob(await _cli.RunAsync(0, "status", "--json", "--no-repository"))["nightly"].GetProperty("last_success").GetDateTimeOffset();

        // 27 hours later, at 2030-01-15 12:00 UTC in the clock's terms: 02:00 in Berlin (CET, UTC+1) is 01:00 UTC.
        var later = finished + TimeSpan.FromHours(27);
        _cli.Time = new FakeTimeProvider(later);
        var result = await _cli.RunAsync(23, "status", "--json");
        var nightly = ByJob(result)["nightly"];
        Assert.True(nightly.GetProperty("stale").GetBoolean());
        Assert.Equal(27 * 3600, nightly.GetProperty("age_seconds").GetInt64());
        Assert.Equal(1, nightly.GetProperty("snapshots").GetInt64());
        Assert.False(ByJob(result)["other"].GetProperty("stale").GetBoolean());
        var expectedNext = CronSchedule.Parse("0 2 * * *", "Europe/Berlin").NextAfter(later)!.Value;
        Assert.Equal(expectedNext, nightly.GetProperty("next_run").GetDateTimeOffset());

        _cli.Time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 15, 12, 0, 0, TimeSpan.Zero));
        var fixedNext = ByJob(await _cli.RunAsync(23, "status", "--json", "--no-repository"))["nightly"].GetProperty("next_run").GetDateTimeOffset();
        Assert.Equal(new DateTimeOffset(2030, 1, 16, 1, 0, 0, TimeSpan.Zero), fixedNext.ToUniversalTime());
        _cli.Time = new FakeTimeProvider(new DateTimeOffset(2030, 7, 15, 12, 0, 0, TimeSpan.Zero)); // CEST, UTC+2
        fixedNext = ByJob(await _cli.RunAsync(23, "status", "--json", "--no-repository"))["nightly"].GetProperty("next_run").GetDateTimeOffset();
        Assert.Equal(new DateTimeOffset(2030, 7, 16, 0, 0, 0, TimeSpan.Zero), fixedNext.ToUniversalTime());

        _cli.Time = new FakeTimeProvider(later);
        var table = await _cli.RunAsync(23, "status");
        Assert.Contains("27h / rpo 26h: STALE", table.Stdout);
        Assert.Contains("+ up to 10m", table.Stdout);
        Assert.Contains("past their rpo: nightly", table.Stdout);
        // Just within it, it is not.
        _cli.Time = new FakeTimeProvider(finished + TimeSpan.FromHours(25));
        await _cli.RunAsync(0, "status", "--no-repository");
    }

    [Fact]
    public async Task A_job_with_an_rpo_and_no_record_is_stale_and_one_the_daemon_knows_counts_from_its_record()
    {
        await WriteConfigAsync();
        var result = await _cli.RunAsync(23, "status", "--json", "--no-repository");
        var jobs = ByJob(result);
        Assert.True(jobs["nightly"].GetProperty("stale").GetBoolean());
        Assert.Equal(JsonValueKind.Null, jobs["nightly"].GetProperty("last_run").ValueKind);
        Assert.Equal(JsonValueKind.Null, jobs["nightly"].GetProperty("age_seconds").ValueKind);
        Assert.False(jobs["other"].GetProperty("stale").GetBoolean());
        // No target opened: no counts.
        Assert.Equal(JsonValueKind.Null, jobs["nightly"].GetProperty("snapshots").ValueKind);
        Assert.Contains("never / rpo 26h: STALE", (await _cli.RunAsync(23, "status", "--no-repository")).Stdout);

        // The daemon created its record an hour ago (its RPO clock): within the rpo until 26 h after that.
        var store = new JobStateStore(Path.Combine(_cli.Root, "state", "cairn"));
        var created = DateTimeOffset.UtcNow - TimeSpan.FromHours(1);
        store.Update("lab", "nightly", s => s with { Created = created });
        await _cli.RunAsync(0, "status", "--no-repository");
        _cli.Time = new FakeTimeProvider(created + TimeSpan.FromHours(27));
        await _cli.RunAsync(23, "status", "--no-repository");

        // A job that only ever failed stays stale, and its last error is shown.
        _cli.Time = null;
        store.Update("lab", "nightly", s => s.WithRun(new JobRunRecord
        {
            Started = created - TimeSpan.FromDays(2), Finished = created - TimeSpan.FromDays(2), Outcome = JobOutcome.Failure, ExitCode = 21,
            Error = "pg_dump: connection refused",
        }) with { Created = created - TimeSpan.FromDays(2) });
        var failed = await _cli.RunAsync(23, "status", "--no-repository");
        Assert.Contains("nightly: last run failure: pg_dump: connection refused", failed.Stdout);
        var json = ByJob(await _cli.RunAsync(23, "status", "--no-repository", "--json"))["nightly"];
        Assert.Equal(("failure", 21), (json.GetProperty("last_outcome").GetString(), json.GetProperty("last_exit_code").GetInt32()));

        // A damaged state file is that job's error (and, with an rpo, no proof of a recent success); the others are shown.
        await File.WriteAllTextAsync(store.PathOf("lab", "nightly"), "{ not json");
        var damaged = ByJob(await _cli.RunAsync(23, "status", "--no-repository", "--json"));
        Assert.Contains("is damaged", damaged["nightly"].GetProperty("error").GetString());
        Assert.True(damaged["nightly"].GetProperty("stale").GetBoolean());
        Assert.Equal(JsonValueKind.Null, damaged["other"].GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task A_target_that_cannot_be_opened_is_that_jobs_error_and_the_others_are_shown()
    {
        var missing = Path.Combine(_cli.Root, "no-such-repo");
        await WriteConfigAsync(
            extraTargets: $"  gone: {{repository: {missing}, password: x}}",
            extraJobs: $"  lost: {{targets: [gone], components: [{{name: etc, type: files, paths: [/etc/hostname]}}]}}");
        await _cli.RunAsync(0, "job", "run", "nightly");

        var result = await _cli.RunAsync(10, "status", "--json");
        var jobs = ByJob(result);
        Assert.Equal(3, jobs.Count);
        Assert.Equal(1, jobs["nightly"].GetProperty("snapshots").GetInt64());
        Assert.Equal(JsonValueKind.Null, jobs["nightly"].GetProperty("error").ValueKind);
        var lost = jobs["lost"];
        Assert.StartsWith("target gone: ", lost.GetProperty("error").GetString());
        Assert.Equal("gone", lost.GetProperty("target").GetString());
        Assert.Equal(JsonValueKind.Null, lost.GetProperty("snapshots").ValueKind);
        Assert.DoesNotContain("   at ", result.Stderr);

        var table = await _cli.RunAsync(10, "status");
        Assert.Contains("lost: ERROR: target gone: ", table.Stdout);
        Assert.Contains("rpo 26h: ok", table.Stdout);
        // Without the targets, the state files alone are fine; and a stale job wins over a target's error.
        await _cli.RunAsync(0, "status", "--no-repository");
        _cli.Time = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromDays(2));
        await _cli.RunAsync(23, "status");
    }
}
