using Cairn.Snapshots;
using Cairn.Snapshots.Locking;
using Cairn.Storage;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Maintenance;

/// <summary>cairn prune end to end: the plan, the dry run, the result, JSON, bad options and a refusal.</summary>
public sealed class PruneCliTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>Two backups of a changing directory; the first snapshot is deleted, as forget would.</summary>
    private async Task<string> BackupTwiceAndForgetTheFirstAsync()
    {
        await _cli.InitAsync();
        var src = Path.Combine(_cli.Root, "src");
        Directory.CreateDirectory(src);
        for (int i = 1; i <= 4; i++) await File.WriteAllBytesAsync(Path.Combine(src, $"f{i}"), CliHarness.RandomBytes(300_000, i));
        var first = (await _cli.RunAsync(0, "backup", src, "--json")).Json.GetProperty("snapshot_id").GetString()!;
        File.Delete(Path.Combine(src, "f3"));
        File.Delete(Path.Combine(src, "f4"));
        await File.WriteAllBytesAsync(Path.Combine(src, "f5"), CliHarness.RandomBytes(300_000, 5));
        await _cli.RunAsync(0, "backup", src);
        File.Delete(Path.Combine(_cli.Repo, "snapshots", first));
        return src;
    }

    private Dictionary<string, long> RepositoryFiles() =>
        Directory.GetFiles(_cli.Repo, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => new FileInfo(f).Length);

    [Fact]
    public async Task Dry_run_prints_the_plan_and_changes_nothing()
    {
        await BackupTwiceAndForgetTheFirstAsync();
        var before = RepositoryFiles();

        var text = await _cli.RunAsync(0, "prune", "-n");
        Assert.Contains("to repack:   1 pack", text.Stdout);
        Assert.Contains("copy 2 used blobs", text.Stdout);
        Assert.Contains("will free:", text.Stdout);
        Assert.Contains("dry run: nothing was changed", text.Stdout);

        var json = (await _cli.RunAsync(0, "prune", "--dry-run", "--json")).Json;
        Assert.True(json.GetProperty("dry_run").GetBoolean());
        var plan = json.GetProperty("plan");
        Assert.Equal(1, plan.GetProperty("packs_to_repack").GetInt32());
        Assert.Equal(1, plan.GetProperty("snapshots").GetInt32());
        Assert.True(plan.GetProperty("bytes_to_free").GetInt64() > 600_000);
        Assert.False(json.TryGetProperty("result", out _));
        Assert.Equal(before, RepositoryFiles());
    }

    [Fact]
    public async Task Prune_frees_what_it_planned_and_the_snapshot_restores()
    {
        var src = await BackupTwiceAndForgetTheFirstAsync();
        long packsBefore = PackBytes();

        var run = await _cli.RunAsync(0, "prune", "--json");
        var result = run.Json.GetProperty("result");
        Assert.Equal(1, result.GetProperty("packs_repacked").GetInt32());
        Assert.Equal(1, result.GetProperty("packs_written").GetInt32());
        Assert.Equal(1, result.GetProperty("index_files_written").GetInt32());
        Assert.Equal(2, result.GetProperty("index_files_deleted").GetInt32());
        long freed = result.GetProperty("bytes_freed").GetInt64();
        Assert.Equal(packsBefore - PackBytes(), freed);
        Assert.InRange(freed, 600_000, 700_000); // f3 and f4 (random, so stored at about their size) and the old trees

        var target = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", target, "--verify");
        foreach (var name in new[] { "f1", "f2", "f5" })
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(src, name)), await File.ReadAllBytesAsync(Path.Combine(target, src.TrimStart('/'), name)));
        Assert.False(File.Exists(Path.Combine(target, src.TrimStart('/'), "f3")));

        var again = await _cli.RunAsync(0, "prune");
        Assert.Contains("nothing to prune", again.Stdout);
        Assert.Contains("to repack:   0 packs", again.Stdout);
    }

    [Fact]
    public async Task Text_output_reports_what_was_done()
    {
        await BackupTwiceAndForgetTheFirstAsync();
        var run = await _cli.RunAsync(0, "prune", "--max-unused", "0");
        Assert.Contains("repacked 1 pack into 1 new pack: 2 blobs", run.Stdout);
        Assert.Contains("wrote 1 index file, deleted 2 superseded index files", run.Stdout);
        Assert.Contains("deleted 2 packs", run.Stdout); // the repacked data pack and the first backup's tree pack
        Assert.Matches(@"freed \d+\.\d{3} KiB; the repository now holds .*, 0 B of it unused", run.Stdout);
    }

    [Fact]
    public async Task Prune_deletes_the_half_filled_pack_a_killed_backup_left_once_it_is_a_day_old()
    {
        await _cli.InitAsync();
        await _cli.RunAsync(0, "backup", _cli.MakeTree(), "-q");
        // A backup killed while it filled a pack leaves it as a temporary file, which no listing shows.
        var stale = Path.Combine(_cli.Repo, "data", ".tmp-5a1e");
        var fresh = Path.Combine(_cli.Repo, "data", ".tmp-f7e5");
        File.WriteAllBytes(stale, new byte[5000]);
        File.WriteAllBytes(fresh, new byte[5000]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-2));

        var run = await _cli.RunAsync(0, "prune");

        Assert.Contains("deleted 1 temporary file left by interrupted backups (4.883 KiB)", run.Stdout);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh), "a temporary file younger than a day may belong to a running backup");
    }

    [Theory]
    [InlineData("--max-unused", "lots")]
    [InlineData("--max-unused", "101%")]
    [InlineData("--max-repack-size", "1X")]
    public async Task Bad_limits_are_usage_errors(string option, string value)
    {
        await _cli.InitAsync();
        var run = await _cli.RunAsync(2, "prune", option, value);
        Assert.Contains(option, run.Stderr);
        Assert.Single(run.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task A_missing_pack_makes_prune_refuse_with_exit_14_and_say_why()
    {
        await BackupTwiceAndForgetTheFirstAsync();
        var packs = Directory.GetFiles(Path.Combine(_cli.Repo, "data"), "*", SearchOption.AllDirectories);
        var victim = packs.OrderBy(p => File.GetLastWriteTimeUtc(p)).Last();
        File.Delete(victim);
        var before = RepositoryFiles();

        var run = await _cli.RunAsync(14, "prune");

        var lines = run.Stderr.TrimEnd().Split('\n');
        Assert.StartsWith("cairn: prune refused: the repository has missing or damaged data", lines[0]);
        Assert.Contains(lines, l => l.Contains($"pack {Path.GetFileName(victim)[..8]} is in the index but missing from the storage", StringComparison.Ordinal));
        Assert.Contains("cairn check", lines[^1]);
        Assert.Equal(before, RepositoryFiles());
    }

    [Fact]
    public async Task Prune_fails_with_exit_11_while_a_backup_holds_its_lock_and_a_dry_run_still_plans()
    {
        await BackupTwiceAndForgetTheFirstAsync();
        await using var other = await Repository.OpenAsync(new LocalBlobStore(_cli.Repo), System.Text.Encoding.UTF8.GetBytes(CliHarness.Password), CancellationToken.None);
        var backup = await RepositoryLock.AcquireAsync(other, LockKind.Shared, new LockOptions { Command = "cairn backup", Hostname = "web1" },
            TimeProvider.System, CancellationToken.None);
        var before = RepositoryFiles();

        var refused = await _cli.RunAsync(11, "prune");
        Assert.Contains("shared lock of 'cairn backup' (host web1", refused.Stderr);
        Assert.Equal(before, RepositoryFiles());
        Assert.Contains("dry run: nothing was changed", (await _cli.RunAsync(0, "prune", "--dry-run")).Stdout);

        await backup.DisposeAsync();
        await _cli.RunAsync(0, "prune");
        Assert.Equal(0, _cli.CountRepoFiles("locks"));
    }

    private long PackBytes() => Directory.GetFiles(Path.Combine(_cli.Repo, "data"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
