using Cairn.Tests.Cli;
using Cairn.Tests.Locking;
using Cairn.Tests.Storage.S3;

namespace Cairn.Tests.Retention;

/// <summary>cairn job run with a YAML config that has retention and an archive tier, end to end with the clock injected.</summary>
public sealed class JobRetentionCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 28, 2, 0, 0, TimeSpan.Zero));

    public JobRetentionCliTests() => _cli.Time = _clock;

    public void Dispose() => _cli.Dispose();

    private string Flag => Path.Combine(_cli.Root, "fail-the-dump");

    private void WriteConfig(string targets, string jobExtra, string primaryExtra = "")
    {
        var source = Directory.Exists(Path.Combine(_cli.Root, "src")) ? Path.Combine(_cli.Root, "src") : _cli.MakeTree();
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(path, $$"""
            instance: research
            targets:
              primary: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}{{primaryExtra}}}
            {{targets}}
            jobs:
              nightly:
                components:
                  - {name: etc, type: files, paths: [{{source}}]}
                  - {name: dump, type: command, command: [sh, -c, "test ! -e '{{Flag}}'"]}
            {{jobExtra}}
            """);
        _cli.Env["CAIRN_CONFIG"] = path;
    }

    private async Task<List<string>> SnapshotTimesAsync(string repository)
    {
        var json = (await _cli.RunAsync(0, "-r", repository, "snapshots", "--json")).Json;
        return [.. json.EnumerateArray().Select(s => s.GetProperty("time").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))];
    }

    [Fact]
    public async Task Job_run_applies_the_retention_in_both_targets_after_complete_runs_only()
    {
        await _cli.InitAsync();
        var replica = Path.Combine(_cli.Root, "replica");
        await _cli.RunAsync(0, "-r", replica, "init");
        WriteConfig($"  replica: {{repository: {replica}, password: {CliHarness.Password}}}", """
                targets: [primary, replica]
                retention: {keep_last: 2}
            """);

        for (int i = 0; i < 2; i++)
        {
            await _cli.RunAsync(0, "job", "run", "nightly");
            _clock.Advance(TimeSpan.FromHours(1));
        }
        var third = await _cli.RunAsync(0, "job", "run", "nightly");
        Assert.Contains("retention in target primary: kept 2, forgot 1", third.Stdout);
        Assert.Contains("retention in target replica: kept 2, forgot 1", third.Stdout);
        Assert.Equal(["2026-01-28 03:00", "2026-01-28 04:00"], await SnapshotTimesAsync(_cli.Repo));
        Assert.Equal(["2026-01-28 03:00", "2026-01-28 04:00"], await SnapshotTimesAsync(replica));
        _clock.Advance(TimeSpan.FromHours(1));

        // A failed run (the dump fails) keeps everything, and says why.
        File.WriteAllText(Flag, "");
        var failed = await _cli.RunAsync(21, "job", "run", "nightly");
        Assert.Contains("retention not applied: the run was failed: retention runs only after a complete run", failed.Stdout);
        var failedJson = (await _cli.RunAsync(21, "job", "run", "nightly", "--json")).Json.GetProperty("retention");
        Assert.False(failedJson.GetProperty("applied").GetBoolean());
        Assert.Equal(4, (await SnapshotTimesAsync(_cli.Repo)).Count);
        File.Delete(Flag);
        _clock.Advance(TimeSpan.FromHours(1));

        // --no-retention backs up only.
        var skipped = await _cli.RunAsync(0, "job", "run", "nightly", "--no-retention");
        Assert.DoesNotContain("retention", skipped.Stdout);
        Assert.Equal(5, (await SnapshotTimesAsync(_cli.Repo)).Count);
        _clock.Advance(TimeSpan.FromHours(1));

        // The next complete run catches up: the failed snapshots and the older complete ones go, in both targets.
        var json = (await _cli.RunAsync(0, "job", "run", "nightly", "--json")).Json;
        var retention = json.GetProperty("retention");
        Assert.True(retention.GetProperty("applied").GetBoolean());
        Assert.Equal(0, retention.GetProperty("exit_code").GetInt32());
        var primary = retention.GetProperty("targets")[0];
        Assert.Equal(("primary", "primary"), (primary.GetProperty("name").GetString(), primary.GetProperty("role").GetString()));
        Assert.Equal(2, primary.GetProperty("kept").GetArrayLength());
        Assert.Equal(4, primary.GetProperty("forgotten").GetArrayLength());
        Assert.Equal(["2026-01-28 06:00", "2026-01-28 07:00"], await SnapshotTimesAsync(_cli.Repo));
        Assert.Equal(["2026-01-28 06:00", "2026-01-28 07:00"], await SnapshotTimesAsync(replica));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_archive_on_s3_receives_the_month_end_with_its_data_packs_in_glacier_and_its_metadata_standard()
    {
        var bucket = S3TestServer.NewBucketName("tiers");
        _cli.Env["AWS_ACCESS_KEY_ID"] = S3TestServer.AccessKey;
        _cli.Env["AWS_SECRET_ACCESS_KEY"] = S3TestServer.SecretKey;
        var archive = $"s3:{S3TestServer.Endpoint}/{bucket}/archive";
        try
        {
            await _cli.InitAsync();
            await _cli.RunAsync(0, "-r", archive, "init");
            WriteConfig($"  glacier: {{repository: \"{archive}\", password: {CliHarness.Password}, data_storage_class: GLACIER}}", """
                    targets: [primary]
                    retention: {keep_daily: 7}
                    archive: {target: glacier, retention: {keep_monthly: 4, keep_yearly: 12}}
                """);

            // Daily runs from January 28 to February 3: January is over on February 1, so its last day goes then.
            for (int day = 0; day < 7; day++)
            {
                File.WriteAllText(Path.Combine(_cli.Root, "src", "a.txt"), $"day {day}\n");
                var json = (await _cli.RunAsync(0, "job", "run", "nightly", "--json")).Json;
                var archived = json.GetProperty("retention").GetProperty("targets")[0];
                Assert.Equal(("glacier", "archive"), (archived.GetProperty("name").GetString(), archived.GetProperty("role").GetString()));
                var copied = archived.GetProperty("copied").EnumerateArray().Select(c => c.GetProperty("time").GetDateTimeOffset().UtcDateTime.Day).ToList();
                Assert.Equal(day == 4 ? [31] : [], copied);
                _clock.Advance(TimeSpan.FromDays(1));
            }

            Assert.Equal(7, (await SnapshotTimesAsync(_cli.Repo)).Count);
            Assert.Equal(["2026-01-31 02:00"], await SnapshotTimesAsync(archive));
            // Read back from s3rver: data packs of the archive are GLACIER (trees' packs stay STANDARD, as forget,
            // copy and prune read them); config, keys, index and snapshots stay STANDARD (no header).
            var classes = await S3TestServer.HeadClassesAsync(bucket);
            var packs = classes.Where(c => c.Key.StartsWith("archive/data/", StringComparison.Ordinal)).ToList();
            Assert.Contains(packs, p => p.Value == "GLACIER");
            Assert.Contains(packs, p => p.Value is null);
            Assert.All(packs, p => Assert.True(p.Value is null or "GLACIER", $"{p.Key}: {p.Value}"));
            var metadata = classes.Except(packs).ToList();
            Assert.Contains(metadata, m => m.Key.StartsWith("archive/snapshots/", StringComparison.Ordinal));
            Assert.Contains(metadata, m => m.Key.StartsWith("archive/index/", StringComparison.Ordinal));
            Assert.All(metadata, m => Assert.Null(m.Value));
        }
        finally
        {
            await S3TestServer.DeleteBucketAsync(bucket);
        }
    }

    [Fact]
    public async Task Prune_of_a_config_target_uses_its_prune_settings()
    {
        await _cli.InitAsync();
        WriteConfig("", """
                targets: [primary]
                retention: {keep_last: 1}
            """, primaryExtra: ", prune: {schedule: \"0 4 * * 0\", max_unused: 0%}");
        for (int day = 0; day < 3; day++)
        {
            File.WriteAllText(Path.Combine(_cli.Root, "src", "a.txt"), $"day {day}\n");
            await _cli.RunAsync(0, "job", "run", "nightly");
            _clock.Advance(TimeSpan.FromDays(1));
        }
        _cli.Env.Remove("CAIRN_REPOSITORY");

        var json = (await _cli.RunAsync(0, "prune", "--target", "primary", "--json")).Json;

        // max_unused 0% from the config: no unused space may stay.
        Assert.Equal(0, json.GetProperty("plan").GetProperty("max_unused_bytes").GetInt64());
        Assert.True(json.GetProperty("result").GetProperty("packs_deleted").GetInt32() > 0);
        Assert.Equal(0, json.GetProperty("result").GetProperty("unused_bytes_remaining").GetInt64());
        Assert.Single(await SnapshotTimesAsync(_cli.Repo));
        var unknown = await _cli.RunAsync(17, "prune", "--target", "primry");
        CliHarness.AssertOneLine(unknown, "has no target 'primry': it has primary");
    }
}
