using System.Text;
using System.Text.Json;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Storage;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Maintenance;

/// <summary>cairn forget end to end: real repositories, snapshots from real backups (and copies with other times and statuses).</summary>
public sealed class RetentionCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private string? _src;

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Dry_run_prints_every_snapshot_with_its_rule_and_removes_nothing()
    {
        var ids = await BackupDaysAsync(5);
        var result = await _cli.RunAsync(0, "forget", "--dry-run", "--keep-last", "2", "--time-zone", "UTC");
        Assert.Contains("Applying policy: keep 2 latest snapshots", result.Stdout);
        Assert.Contains($"Snapshots of host h, paths {_src}: keep 2, remove 3", result.Stdout);
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var line = Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith(id[..8], StringComparison.Ordinal));
            Assert.Contains($"2024-01-0{i + 1} 10:00:00 +00:00", line);
            Assert.Contains(i >= 3 ? "keep    last snapshot" : "remove  no rule keeps it", line);
        }
        Assert.Contains("dry run: would remove 3 of 5 snapshots; nothing was removed", result.Stdout);
        Assert.Equal(5, _cli.CountRepoFiles("snapshots"));
    }

    [Fact]
    public async Task A_real_run_removes_exactly_the_snapshots_the_dry_run_listed()
    {
        var ids = await BackupDaysAsync(6);
        string[] policy = ["--keep-daily", "2", "--keep-within", "3d12h", "--time-zone", "UTC", "--json"];
        var planned = (await _cli.RunAsync(0, ["forget", "-n", .. policy])).Json;
        var toRemove = planned[0].GetProperty("remove").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
        // Within 3d12h of 01-06 10:00 reaches back to 01-02 22:00: 01-03 … 01-06 stay.
        Assert.Equal([ids[1], ids[0]], toRemove);

        var run = await _cli.RunAsync(0, ["forget", .. policy]);
        Assert.Equal(toRemove, run.Json[0].GetProperty("remove").EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
        var left = (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()!);
        Assert.Equal(ids[2..], left);

        var text = await _cli.RunAsync(0, "forget", "--keep-last", "1", "--time-zone", "UTC");
        Assert.Contains("removed 3 of 4 snapshots (their data stays in the repository until a prune)", text.Stdout);
        Assert.Equal([ids[5]], (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
        // The data stays: the remaining snapshot restores (prune frees space, forget only drops records).
        await _cli.RunAsync(0, "restore", "latest", "--target", Path.Combine(_cli.Root, "restored"));
    }

    [Fact]
    public async Task Json_lists_each_group_with_keep_remove_and_reasons()
    {
        var ids = await BackupDaysAsync(3);
        var other = await BackupAsync("2024-01-02T12:00:00Z", "other");
        var json = (await _cli.RunAsync(0, "forget", "-n", "--keep-last", "1", "--time-zone", "UTC", "--json")).Json;
        Assert.Equal(JsonValueKind.Array, json.ValueKind);
        Assert.Equal(2, json.GetArrayLength());
        var h = json[0];
        Assert.Equal("h", h.GetProperty("host").GetString());
        Assert.Equal([_src], h.GetProperty("paths").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(JsonValueKind.Null, h.GetProperty("tags").ValueKind);
        Assert.Equal(JsonValueKind.Null, h.GetProperty("instance").ValueKind);
        var kept = Assert.Single(h.GetProperty("keep").EnumerateArray());
        Assert.Equal(ids[2], kept.GetProperty("id").GetString());
        Assert.Equal("complete", kept.GetProperty("status").GetString()); // the snapshot as 'snapshots --json' shows it
        Assert.Equal([ids[1], ids[0]], h.GetProperty("remove").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var reasons = h.GetProperty("reasons").EnumerateArray().ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Equal(ids[2], reasons[0].GetProperty("id").GetString());
        Assert.Equal(ids[2][..8], reasons[0].GetProperty("short_id").GetString());
        Assert.Equal("2024-01-03T10:00:00.0000000+00:00", DateTimeOffset.Parse(reasons[0].GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime().ToString("o", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("complete", reasons[0].GetProperty("status").GetString());
        Assert.Equal("keep", reasons[0].GetProperty("action").GetString());
        Assert.Equal(["last snapshot"], reasons[0].GetProperty("matches").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(["last"], reasons[0].GetProperty("rules").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("remove", reasons[1].GetProperty("action").GetString());
        Assert.Equal(["no-rule"], reasons[1].GetProperty("rules").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("other", json[1].GetProperty("host").GetString());
        Assert.Equal(other, json[1].GetProperty("keep")[0].GetProperty("id").GetString());

        var ungrouped = (await _cli.RunAsync(0, "forget", "-n", "--keep-last", "1", "--group-by", "", "--json")).Json;
        var all = Assert.Single(ungrouped.EnumerateArray());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("host").ValueKind);
        Assert.Equal(JsonValueKind.Null, all.GetProperty("paths").ValueKind);
        Assert.Equal(3, all.GetProperty("remove").GetArrayLength());
    }

    [Fact]
    public async Task Forget_without_a_policy_or_with_a_bad_one_is_refused_and_removes_nothing()
    {
        var ids = await BackupDaysAsync(2);
        var none = await _cli.RunAsync(2, "forget");
        Assert.Contains("no policy given", none.Stderr);
        Assert.Contains("--keep-min only protects", (await _cli.RunAsync(2, "forget", "--keep-min", "3")).Stderr);
        Assert.Contains("not both", (await _cli.RunAsync(2, "forget", ids[0], "--keep-last", "1")).Stderr);
        Assert.Contains("'7w' is not a duration", (await _cli.RunAsync(2, "forget", "--keep-within", "7w")).Stderr);
        Assert.Contains("'-1' is not a count", (await _cli.RunAsync(2, "forget", "--keep-daily=-1")).Stderr);
        Assert.Contains("unknown time zone 'Mars/Olympus'", (await _cli.RunAsync(2, "forget", "--keep-daily", "1", "--time-zone", "Mars/Olympus")).Stderr);
        Assert.Contains("cannot group by 'user'", (await _cli.RunAsync(2, "forget", "--keep-daily", "1", "--group-by", "host,user")).Stderr);
        Assert.Contains("unknown option '--keep-dialy'", (await _cli.RunAsync(2, "forget", "--keep-dialy", "1")).Stderr);
        Assert.Contains("--keep-tag needs at least one tag", (await _cli.RunAsync(2, "forget", "--keep-tag", ",")).Stderr);
        Assert.Equal(2, _cli.CountRepoFiles("snapshots"));
    }

    [Fact]
    public async Task Prune_runs_after_the_removal_and_its_dry_run_plans_without_the_removed_snapshots()
    {
        await BackupDaysAsync(2);
        // A file only the first snapshot has: its chunk is what prune can free once that snapshot is gone.
        var extra = Path.Combine(_src!, "only-in-first.bin");
        await File.WriteAllBytesAsync(extra, CliHarness.RandomBytes(200_000, 9));
        var first = await BackupAsync("2024-01-03T10:00:00Z", "h");
        File.Delete(extra);
        await BackupAsync("2024-01-04T10:00:00Z", "h");
        var packs = _cli.CountRepoFiles("data");

        var dry = await _cli.RunAsync(0, "forget", "--keep-last", "1", "--prune", "--dry-run", "--json");
        var prunePlan = JsonDocument.Parse(dry.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.True(prunePlan.GetProperty("dry_run").GetBoolean());
        Assert.Equal(1, prunePlan.GetProperty("plan").GetProperty("snapshots").GetInt32());
        Assert.True(prunePlan.GetProperty("plan").GetProperty("bytes_to_free").GetInt64() > 200_000);
        Assert.Equal(4, _cli.CountRepoFiles("snapshots"));
        Assert.Equal(packs, _cli.CountRepoFiles("data"));

        var run = await _cli.RunAsync(0, "forget", "--keep-last", "1", "--prune");
        Assert.Contains("removed 3 of 4 snapshots", run.Stdout);
        Assert.Contains("will free:", run.Stdout);
        Assert.Matches(@"freed \d+\.\d{3} KiB", run.Stdout);
        Assert.Equal(1, _cli.CountRepoFiles("snapshots"));
        Assert.DoesNotContain(first[..8], (await _cli.RunAsync(0, "snapshots")).Stdout);
        await _cli.RunAsync(0, "restore", "latest", "--target", Path.Combine(_cli.Root, "restored"), "--verify");
        Assert.Contains("nothing to prune", (await _cli.RunAsync(0, "prune", "--max-unused", "unlimited")).Stdout);
    }

    [Fact]
    public async Task Failed_and_partial_snapshots_are_not_counted_and_go_once_a_newer_complete_one_exists()
    {
        var ids = await BackupDaysAsync(2); // complete: 01-01, 01-02
        var olderPartial = await CopyAsync(ids[0], "2024-01-01T12:00:00Z", SnapshotStatus.Partial);
        var newerFailed = await CopyAsync(ids[0], "2024-01-05T10:00:00Z", SnapshotStatus.Failed);
        var newerPartial = await CopyAsync(ids[0], "2024-01-04T10:00:00Z", SnapshotStatus.Partial);

        var json = (await _cli.RunAsync(0, "forget", "--keep-daily", "1", "--time-zone", "UTC", "--json")).Json;
        var reasons = json[0].GetProperty("reasons").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => (r.GetProperty("action").GetString(), r.GetProperty("rules")[0].GetString()));
        Assert.Equal(("keep", "newer-than-complete"), reasons[newerFailed]);
        Assert.Equal(("keep", "newer-than-complete"), reasons[newerPartial]);
        Assert.Equal(("keep", "daily"), reasons[ids[1]]); // the partial ones did not take the daily place
        Assert.Equal(("remove", "incomplete"), reasons[olderPartial]);
        Assert.Equal(("remove", "no-rule"), reasons[ids[0]]);
        var left = (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToHashSet();
        Assert.Equal(new[] { newerFailed, newerPartial, ids[1] }.Order(), left.Order());

        // Only incomplete snapshots in a group: all are kept, and cairn says so.
        var lonely = await CopyAsync(ids[1], "2024-01-03T10:00:00Z", SnapshotStatus.Failed, host: "lonely");
        var result = await _cli.RunAsync(0, "forget", "--keep-last", "1", "--host", "lonely");
        Assert.Contains("snapshots of host lonely", result.Stderr);
        Assert.Contains("all failed or partial", result.Stderr);
        Assert.Contains(lonely[..8], result.Stdout);
        Assert.Equal(4, _cli.CountRepoFiles("snapshots"));
    }

    [Fact]
    public async Task A_policy_that_keeps_nothing_still_keeps_each_groups_newest_complete_snapshot()
    {
        var ids = await BackupDaysAsync(3);
        var result = await _cli.RunAsync(0, "forget", "--keep-tag", "no-such-tag");
        Assert.Contains("the group's newest complete snapshot: a policy never removes it", result.Stdout);
        Assert.Equal([ids[2]], (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task Snapshots_named_by_id_are_removed_as_asked_and_filters_limit_a_policy()
    {
        var ids = await BackupDaysAsync(3);
        var other = await BackupAsync("2024-01-01T12:00:00Z", "other");
        // A policy narrowed to host h never touches host other.
        await _cli.RunAsync(0, "forget", "--keep-last", "2", "--host", "h");
        Assert.Equal([other, ids[1], ids[2]], Ids(await _cli.RunAsync(0, "snapshots", "--json")));

        // Ids: no policy, no guard; prefixes and latest (narrowed by --host) work as elsewhere.
        var dry = await _cli.RunAsync(0, "forget", "-n", ids[1][..10], "latest", "--host", "h");
        Assert.Contains("named on the command line", dry.Stdout);
        Assert.Contains("dry run: would remove 2 of 2 snapshots", dry.Stdout);
        var run = await _cli.RunAsync(0, "forget", ids[1][..10], "latest", "--host", "h");
        Assert.Contains("removed 2 of 2 snapshots", run.Stdout);
        Assert.Equal([other], Ids(await _cli.RunAsync(0, "snapshots", "--json")));
        Assert.Contains("no snapshot has an id starting with", (await _cli.RunAsync(17, "forget", ids[1][..10])).Stderr);
    }

    [Fact]
    public async Task Help_explains_the_rules_and_shows_examples()
    {
        var help = await _cli.RunAsync(0, "forget", "--help");
        foreach (var text in new[] { "--keep-within-weekly", "--keep-min", "--group-by", "--time-zone", "Failed and partial snapshots never count",
                     "cairn forget --dry-run --keep-daily 7 --keep-weekly 4 --keep-monthly 12", "unlimited" })
            Assert.Contains(text, help.Stdout);
    }

    private static List<string> Ids(CliResult result) =>
        [.. result.Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];

    /// <summary>One backup per day at 10:00 UTC from 2024-01-01, host h; ids oldest first.</summary>
    private async Task<List<string>> BackupDaysAsync(int days)
    {
        var ids = new List<string>();
        for (int day = 1; day <= days; day++) ids.Add(await BackupAsync($"2024-01-{day:00}T10:00:00Z", "h"));
        return ids;
    }

    private async Task<string> BackupAsync(string time, string host)
    {
        if (_src is null)
        {
            if (!Directory.Exists(_cli.Repo)) await _cli.InitAsync();
            _src = Path.Combine(_cli.Root, "src");
            Directory.CreateDirectory(_src);
            await File.WriteAllTextAsync(Path.Combine(_src, "file.txt"), "retention\n");
        }
        var result = await _cli.RunAsync(0, "backup", _src, "--host", host, "--time", time, "--json", "-q");
        return result.Json.GetProperty("snapshot_id").GetString()!;
    }

    /// <summary>Saves a copy of a snapshot with another time and status, as a failed or partial backup would have written it.</summary>
    private async Task<string> CopyAsync(string id, string time, SnapshotStatus status, string? host = null)
    {
        await using var repository = await Repository.OpenAsync(new LocalBlobStore(_cli.Repo), Encoding.UTF8.GetBytes(CliHarness.Password), CancellationToken.None);
        var source = await repository.LoadSnapshotAsync(ObjectId.Parse(id), CancellationToken.None);
        var copy = source with
        {
            Time = DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture),
            Status = status,
            Hostname = host ?? source.Hostname,
            Warnings = status == SnapshotStatus.Complete ? [] : [new SnapshotWarning("/x", "could not be read")],
        };
        return (await repository.SaveSnapshotAsync(copy, CancellationToken.None)).Id.ToString();
    }
}
