using System.Globalization;
using Cairn.Components;
using Cairn.Components.Command;
using Cairn.Components.Files;
using Cairn.Content.Crypto;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Retention;
using Cairn.Snapshots;
using Cairn.Storage;
using Cairn.Tests.Locking;

namespace Cairn.Tests.Retention;

/// <summary>
/// Retention and archive tiers after real job runs into local repositories, with the clock injected so snapshot times
/// are exact: a simulated year of daily runs, replication to two targets, failures of targets and of runs.
/// </summary>
public sealed class JobRetentionTests : IDisposable
{
    private const string Password = "retention password";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-retention-" + Guid.NewGuid().ToString("N")[..12]);

    public JobRetentionTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Source => Path.Combine(_root, "source");

    private async Task<string> InitAsync(string name)
    {
        var path = Path.Combine(_root, name);
        await using var repository = await Repository.InitAsync(new LocalBlobStore(path), System.Text.Encoding.UTF8.GetBytes(Password),
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests }, TimeProvider.System, CancellationToken.None);
        return path;
    }

    /// <summary>Opens a target as a daemon would, failing like a real store when its directory is gone.</summary>
    private static async Task<Repository> OpenTargetAsync(TargetDefinition target, CancellationToken ct)
    {
        if (!Directory.Exists(target.Repository)) throw new CairnException($"there is no repository at {target.Repository}", ExitCode.RepositoryNotFound);
        return await Repository.OpenAsync(new LocalBlobStore(target.Repository), System.Text.Encoding.UTF8.GetBytes(target.Password!), ct);
    }

    private static async Task<List<Snapshot>> SnapshotsAsync(string path)
    {
        await using var repository = await Repository.OpenAsync(new LocalBlobStore(path), System.Text.Encoding.UTF8.GetBytes(Password), CancellationToken.None);
        return await repository.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None);
    }

    private ComponentDefinition FilesComponent() => new("etc", ComponentCatalog.Find("files")!, new FilesOptions { Paths = [Source] });

    private static CairnConfig Config(JobDefinition job, params (string Name, string Path)[] targets) => new()
    {
        SourcePath = "test.yaml",
        Instance = "research",
        Targets = targets.ToDictionary(t => t.Name, t => new TargetDefinition { Name = t.Name, Repository = t.Path, Password = Password }),
        Jobs = [job],
    };

    private JobDefinition Job(IReadOnlyList<string> targets, RetentionDefinition? retention, ArchiveDefinition? archive = null,
        IReadOnlyList<ComponentDefinition>? components = null) => new()
    {
        Name = "nightly",
        Targets = targets,
        Components = components ?? [FilesComponent()],
        Host = "host1",
        Retention = retention,
        Archive = archive,
    };

    /// <summary>One scheduled run: new data, the job, then its retention, as the daemon does it.</summary>
    private async Task<(JobRunResult Run, JobRetentionOutcome Retention)> RunDayAsync(CairnConfig config, TimeProvider clock)
    {
        Directory.CreateDirectory(Source);
        var day = clock.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(Source, "today.txt"), $"backup of {day}\n");
        var run = await new JobRunner(config, OpenTargetAsync, clock).RunAsync("nightly", new JobRunOptions(), CancellationToken.None);
        var retention = await JobRetention.ApplyAsync(config, config.Jobs[0], run, OpenTargetAsync, clock, CancellationToken.None);
        return (run, retention);
    }

    private static string[] Days(IEnumerable<Snapshot> snapshots) =>
        [.. snapshots.Select(s => s.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_simulated_year_of_daily_runs_leaves_seven_days_hot_and_month_and_year_ends_in_the_archive()
    {
        var hot = await InitAsync("hot");
        var cold = await InitAsync("cold");
        var job = Job(["hot"], new RetentionDefinition { KeepDaily = 7 },
            new ArchiveDefinition { Target = "cold", Retention = new RetentionDefinition { KeepMonthly = 4, KeepYearly = 12 } });
        var config = Config(job, ("hot", hot), ("cold", cold));
        var first = new DateTimeOffset(2024, 11, 20, 2, 0, 0, TimeSpan.Zero);
        var last = new DateTimeOffset(2026, 2, 10, 2, 0, 0, TimeSpan.Zero);
        var clock = new ManualTimeProvider(first);

        var sentOn = new Dictionary<string, string>();
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            var (run, retention) = await RunDayAsync(config, clock);
            Assert.Equal(ExitCode.Success, run.ExitCode);
            Assert.Null(retention.NotApplied);
            Assert.All(retention.Targets, t => Assert.Null(t.Error));
            foreach (var copied in retention.Targets.SelectMany(t => t.Copied))
                sentOn.Add(Days([copied.Source])[0], day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            clock.Advance(TimeSpan.FromDays(1));
        }

        // Expected, worked out by hand from the policy: the hot target keeps the last 7 days.
        Assert.Equal([
            "2026-02-04 02:00", "2026-02-05 02:00", "2026-02-06 02:00", "2026-02-07 02:00", "2026-02-08 02:00", "2026-02-09 02:00", "2026-02-10 02:00",
        ], Days(await SnapshotsAsync(hot)));
        // Each month's last snapshot went to the archive once, on the first run of the next month, and never a
        // snapshot of a month still running (which would be sent again, and deleted early, every day).
        var monthEnds = new[]
        {
            "2024-11-30", "2024-12-31", "2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30",
            "2025-07-31", "2025-08-31", "2025-09-30", "2025-10-31", "2025-11-30", "2025-12-31", "2026-01-31",
        };
        Assert.Equal(monthEnds.Select(d => d + " 02:00"), sentOn.Keys.Order(StringComparer.Ordinal));
        Assert.All(sentOn, pair => Assert.Equal(DateTime.Parse(pair.Key[..10], CultureInfo.InvariantCulture).AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), pair.Value));
        // The archive keeps 4 monthly (Oct 2025 to Jan 2026) and 12 yearly: the newest of 2026 (Jan 31, also monthly),
        // of 2025 (Dec 31) and of 2024 (Dec 31), plus, while the yearly rule has years left, the oldest (Nov 30 2024).
        var archived = await SnapshotsAsync(cold);
        Assert.Equal([
            "2024-11-30 02:00", "2024-12-31 02:00", "2025-10-31 02:00", "2025-11-30 02:00", "2025-12-31 02:00", "2026-01-31 02:00",
        ], Days(archived));
        Assert.All(archived, s => Assert.Equal(("nightly", "research"), (s.Job, s.Instance)));
        Assert.All(archived, s => Assert.NotNull(s.CopiedFrom));
    }

    [Fact]
    public async Task Retention_is_applied_in_every_target_of_the_job_and_a_failing_target_does_not_stop_the_others()
    {
        var primary = await InitAsync("primary");
        var replica = await InitAsync("replica");
        var config = Config(Job(["primary", "replica"], new RetentionDefinition { KeepLast = 2 }), ("primary", primary), ("replica", replica));
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 6, 1, 3, 0, 0, TimeSpan.Zero));
        for (int i = 0; i < 4; i++)
        {
            var (_, outcome) = await RunDayAsync(config, clock);
            Assert.Equal([RetentionRole.Primary, RetentionRole.Replica], outcome.Targets.Select(t => t.Role));
            Assert.All(outcome.Targets, t => Assert.Null(t.Error));
            clock.Advance(TimeSpan.FromHours(6));
        }
        Assert.Equal(["2025-06-01 15:00", "2025-06-01 21:00"], Days(await SnapshotsAsync(primary)));
        Assert.Equal(["2025-06-01 15:00", "2025-06-01 21:00"], Days(await SnapshotsAsync(replica)));

        // The replica becomes unreachable after the run wrote to it: the primary's retention still happens.
        var (run, failedReplica) = await RunDayAsync(config with { Targets = Retarget(config, "replica", replica + "-gone") }, clock);
        Assert.Equal("replica", run.Targets[1].Target);
        Assert.NotNull(run.Targets[1].Error);
        Assert.Equal("this run's snapshot could not be copied here, so nothing is forgotten here", failedReplica.Targets[1].Skipped);
        Assert.Single(failedReplica.Targets[0].Forgotten);
        clock.Advance(TimeSpan.FromHours(6));

        // Written to both, then the replica fails during retention: reported with its code, the primary is done.
        var runner = new JobRunner(config, OpenTargetAsync, clock);
        var both = await runner.RunAsync("nightly", new JobRunOptions(), CancellationToken.None);
        Directory.Move(replica, replica + "-away");
        var outcome2 = await JobRetention.ApplyAsync(config, config.Jobs[0], both, OpenTargetAsync, clock, CancellationToken.None);
        Assert.Equal(ExitCode.RepositoryNotFound, outcome2.ExitCode);
        Assert.Equal(ExitCode.RepositoryNotFound, outcome2.Targets[1].ExitCode);
        Assert.Null(outcome2.Targets[0].Error);
        Assert.Equal(["2025-06-02 03:00", "2025-06-02 09:00"], Days(await SnapshotsAsync(primary)));

        // And the other way round: the primary cannot be opened for retention, the replica still gets it.
        Directory.Move(replica + "-away", replica);
        clock.Advance(TimeSpan.FromHours(6));
        var third = await runner.RunAsync("nightly", new JobRunOptions(), CancellationToken.None);
        Directory.Move(primary, primary + "-away");
        var outcome3 = await JobRetention.ApplyAsync(config, config.Jobs[0], third, OpenTargetAsync, clock, CancellationToken.None);
        Directory.Move(primary + "-away", primary);
        Assert.Equal(ExitCode.RepositoryNotFound, outcome3.Targets[0].ExitCode);
        Assert.Null(outcome3.Targets[1].Error);
        Assert.Equal(["2025-06-02 09:00", "2025-06-02 15:00"], Days(await SnapshotsAsync(replica)));
        Assert.Equal(3, (await SnapshotsAsync(primary)).Count);
    }

    private static Dictionary<string, TargetDefinition> Retarget(CairnConfig config, string name, string path) =>
        config.Targets.ToDictionary(t => t.Key, t => t.Key == name ? t.Value with { Repository = path } : t.Value);

    [Fact]
    public async Task A_failed_run_forgets_nothing_and_other_jobs_snapshots_are_never_touched()
    {
        var primary = await InitAsync("primary");
        // The dump fails while the flag file exists; the job's paths (its components) stay the same either way.
        var flag = Path.Combine(_root, "fail-the-dump");
        var dump = new ComponentDefinition("dump", ComponentCatalog.Find("command")!, new CommandOptions { Command = ["sh", "-c", $"test ! -e '{flag}'"] });
        var job = Job(["primary"], new RetentionDefinition { KeepLast = 1 }, components: [FilesComponent(), dump]);
        var config = Config(job, ("primary", primary));
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 6, 1, 3, 0, 0, TimeSpan.Zero));
        await RunDayAsync(config, clock);
        clock.Advance(TimeSpan.FromHours(1));
        // Another job's snapshot in the same repository: not this job's to forget.
        await new JobRunner(config with { Jobs = [job with { Name = "other" }] }, OpenTargetAsync, clock).RunAsync("other", new JobRunOptions(), CancellationToken.None);
        clock.Advance(TimeSpan.FromHours(1));

        await File.WriteAllTextAsync(flag, "");
        for (int i = 0; i < 2; i++)
        {
            var (run, outcome) = await RunDayAsync(config, clock);
            Assert.Equal(SnapshotStatus.Failed, run.Snapshot!.Status);
            Assert.Equal("the run was failed: retention runs only after a complete run", outcome.NotApplied);
            Assert.Empty(outcome.Targets);
            clock.Advance(TimeSpan.FromHours(1));
        }
        Assert.Equal(4, (await SnapshotsAsync(primary)).Count);

        // The next complete run applies keep_last 1: its own snapshot stays, the failed ones and the older complete
        // one go, and the other job's snapshot stays.
        File.Delete(flag);
        var (_, applied) = await RunDayAsync(config, clock);
        var left = await SnapshotsAsync(primary);
        Assert.Equal(["nightly", "other"], left.Select(s => s.Job!).Order(StringComparer.Ordinal));
        Assert.Equal(3, applied.Targets[0].Forgotten.Count);
        Assert.Equal(["2025-06-01 07:00"], Days(left.Where(s => s.Job == "nightly")));
    }

    [Fact]
    public async Task A_snapshot_the_archive_lacks_is_held_in_the_primary_until_the_archive_can_take_it()
    {
        var hot = await InitAsync("hot");
        var cold = await InitAsync("cold");
        var job = Job(["hot"], new RetentionDefinition { KeepLast = 1 },
            new ArchiveDefinition { Target = "cold", Retention = new RetentionDefinition { KeepMonthly = 2 } });
        var config = Config(job, ("hot", hot), ("cold", cold));
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 3, 30, 2, 0, 0, TimeSpan.Zero));
        await RunDayAsync(config, clock);
        clock.Advance(TimeSpan.FromDays(1));
        await RunDayAsync(config, clock); // March 31: still March, nothing for the archive yet
        Assert.Empty(await SnapshotsAsync(cold));
        clock.Advance(TimeSpan.FromDays(1));

        // April 1: March is over, but the archive is away. March 31 is held in hot although keep_last 1 drops it.
        Directory.Move(cold, cold + "-away");
        var (_, away) = await RunDayAsync(config, clock);
        var archiveOutcome = Assert.Single(away.Targets, t => t.Role == RetentionRole.Archive);
        Assert.Equal(ExitCode.RepositoryNotFound, archiveOutcome.ExitCode);
        Assert.Equal(["2025-03-31 02:00"], Days(away.Targets.Single(t => t.Role == RetentionRole.Primary).HeldForArchive));
        Assert.Equal(["2025-03-31 02:00", "2025-04-01 02:00"], Days(await SnapshotsAsync(hot)));
        clock.Advance(TimeSpan.FromDays(1));

        // April 2: the archive is back; it gets March 31, and only then does hot let it go.
        Directory.Move(cold + "-away", cold);
        var (_, back) = await RunDayAsync(config, clock);
        Assert.Equal(["2025-03-31 02:00"], Days(back.Targets.Single(t => t.Role == RetentionRole.Archive).Copied.Select(c => c.Source)));
        Assert.Equal(["2025-03-31 02:00"], Days(await SnapshotsAsync(cold)));
        Assert.Equal(["2025-04-02 02:00"], Days(await SnapshotsAsync(hot)));
    }

    [Fact]
    public async Task A_scheduled_prune_frees_what_retention_forgot_with_the_targets_settings_and_refuses_a_damaged_repository()
    {
        var hot = await InitAsync("hot");
        var config = Config(Job(["hot"], new RetentionDefinition { KeepLast = 1 }), ("hot", hot));
        var target = config.Targets["hot"] with { Prune = new PruneScheduleDefinition { Schedule = "0 4 * * 0", MaxUnused = "0%" } };
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 6, 1, 3, 0, 0, TimeSpan.Zero));
        for (int i = 0; i < 3; i++)
        {
            await RunDayAsync(config, clock);
            clock.Advance(TimeSpan.FromDays(1));
        }
        int Packs() => Directory.GetFiles(Path.Combine(hot, "data"), "*", SearchOption.AllDirectories).Length;
        int before = Packs();

        var pruned = await ScheduledPrune.RunAsync(target, OpenTargetAsync, null, CancellationToken.None);

        Assert.Null(pruned.Error);
        Assert.True(pruned.Result!.PacksDeleted > 0, "the forgotten days' packs are deleted");
        Assert.Equal(before - pruned.Result.PacksDeleted + pruned.Result.PacksWritten, Packs());
        Assert.Equal(1, pruned.Plan!.Snapshots);
        // What is left still backs up and restores from: the next run reads its parent's trees.
        var (next, _) = await RunDayAsync(config, clock);
        Assert.Equal(ExitCode.Success, next.ExitCode);

        // A pack gone missing: prune refuses with 14 and deletes nothing.
        File.Delete(Directory.GetFiles(Path.Combine(hot, "data"), "*", SearchOption.AllDirectories)[0]);
        int damaged = Packs();
        var refused = await ScheduledPrune.RunAsync(target, OpenTargetAsync, null, CancellationToken.None);
        Assert.Equal(ExitCode.Integrity, refused.ExitCode);
        Assert.StartsWith("prune refused", refused.Error);
        Assert.Null(refused.Result);
        Assert.Equal(damaged, Packs());
    }
}
