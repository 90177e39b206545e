using Cairn.Storage;
using Cairn.Tests.Storage;

namespace Cairn.Tests.Cli;

/// <summary>
/// The CLI over a store double whose data packs land in GLACIER, as on S3 with --data-storage-class GLACIER: backup,
/// forget, prune, ls, diff and check read no cold data; restore, dump, copy and check --read-data find the archived packs
/// they need first and stop with exit code 20 before writing anything, or with --thaw request a thaw, poll with progress
/// lines on an injected clock, and go on.
/// </summary>
public sealed class ColdStorageCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly Dictionary<string, ColdBlobStore> _stores = [];
    private readonly SteppingTimeProvider _time = new(DateTimeOffset.UtcNow);

    public ColdStorageCliTests()
    {
        _cli.StoreOverride = location =>
        {
            lock (_stores)
            {
                if (!_stores.TryGetValue(location, out var store)) _stores[location] = store = new ColdBlobStore(_time);
                return store;
            }
        };
    }

    public void Dispose() => _cli.Dispose();

    private ColdBlobStore Store => _stores[_cli.Repo];

    /// <summary>A repository holding one backup of the harness's sample tree; returns the tree's path.</summary>
    private async Task<string> BackedUpTreeAsync()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "backup", src, "-q");
        Assert.NotEmpty(Store.Archived);
        return src;
    }

    /// <summary>
    /// Runs a command that waits for thaws on the stepping clock, without a lock (whose refresh loop would spin on that
    /// clock); the clock shows afterwards how long the waits took.
    /// </summary>
    private async Task<CliResult> RunWaitingAsync(int expectedExit, params string[] args)
    {
        _cli.Time = _time;
        try
        {
            return await _cli.RunAsync(expectedExit, [.. args, "--no-lock"]);
        }
        finally
        {
            _cli.Time = null;
        }
    }

    [Fact]
    public async Task Backup_with_a_parent_forget_prune_ls_diff_and_check_read_no_cold_data()
    {
        var src = await BackedUpTreeAsync();
        File.AppendAllText(Path.Combine(src, "a.txt"), "changed\n");
        var second = (await _cli.RunAsync(0, "backup", src, "--json")).Json;
        Assert.True(second.GetProperty("files_unchanged").GetInt64() > 0, "the parent snapshot's trees were not used");

        await _cli.RunAsync(0, "snapshots");
        await _cli.RunAsync(0, "ls", "latest");
        var ids = (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Select(s => s.GetProperty("short_id").GetString()!).ToList();
        await _cli.RunAsync(0, "diff", ids[0], ids[1]);
        var check = await _cli.RunAsync(0, "check");
        Assert.Contains("in cold storage (GLACIER): their sizes were checked against the index; their content was not read", check.Stdout);
        Assert.Contains("no errors were found", check.Stdout);
        var forget = await _cli.RunAsync(0, "forget", "--keep-last", "1", "--prune");
        // The first backup's data pack still holds the unchanged files: partly used, so prune keeps it rather than read it.
        Assert.Contains("1 partly used cold pack kept, not repacked", forget.Stdout);

        Assert.Empty(Store.ArchivedReads);
        Assert.Empty(Store.ThawRequests);
        await _cli.RunAsync(0, "check");
    }

    [Fact]
    public async Task Restore_stops_with_exit_20_before_writing_anything_and_names_the_cold_packs()
    {
        await BackedUpTreeAsync();
        var target = Path.Combine(_cli.Root, "out");

        var restore = await _cli.RunAsync(20, "restore", "latest", "--target", target);

        var line = Assert.Single(restore.Stderr.TrimEnd().Split('\n'));
        Assert.Matches(@"^cairn: restore needs 1 pack \(\d+\.\d{3} KiB\) in cold storage \(GLACIER\): run it again with --thaw", line);
        Assert.Contains("nothing was written", line);
        Assert.False(Directory.Exists(target));
        Assert.Empty(Store.ArchivedReads);
        Assert.Empty(Store.ThawRequests);
    }

    [Fact]
    public async Task Restore_with_thaw_requests_the_thaw_polls_with_progress_lines_and_restores()
    {
        var src = await BackedUpTreeAsync();
        var target = Path.Combine(_cli.Root, "out");
        Store.ThawPolls = 2;

        var restore = await RunWaitingAsync(0, "restore", "latest", "--target", target, "--thaw", "--thaw-days", "3", "--thaw-priority", "bulk");

        var pack = Assert.Single(Store.ThawRequests);
        Assert.Equal(new ThawRequest(3, "Bulk"), pack.Request);
        Assert.Equal([TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15)], _time.Waits);
        var lines = restore.Stderr.TrimEnd().Split('\n');
        Assert.Matches(@"^cairn: restore needs 1 pack \(.*\) in cold storage \(GLACIER\): requesting a thaw \(Bulk, readable for 3 days\) and waiting until it is done$", lines[0]);
        Assert.Matches(@"^cairn: thaw: 0/1 pack readable \(0 B of .*\) after 0:00$", lines[1]);
        Assert.Matches(@"^cairn: thaw: 0/1 pack readable \(0 B of .*\) after 15:00$", lines[2]);
        Assert.Equal("cairn: thaw done: 1 pack readable after 30:00", lines[3]);
        Assert.Equal(4, lines.Length);
        TreeAssert.Equal(src, Path.Combine(target, src.TrimStart('/')));
        Assert.Empty(Store.ArchivedReads);
    }

    [Fact]
    public async Task A_thaw_that_outlasts_thaw_wait_exits_20_and_the_next_run_picks_it_up()
    {
        var src = await BackedUpTreeAsync();
        var target = Path.Combine(_cli.Root, "out");
        Store.ThawPolls = 3;

        var first = await RunWaitingAsync(20, "restore", "latest", "--target", target, "--thaw", "--thaw-wait", "7m");

        Assert.Contains("cairn: 1 of 1 pack are still thawing after 7:00: run the same command with --thaw again later", first.Stderr);
        Assert.Equal([TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(2)], _time.Waits);
        Assert.False(Directory.Exists(target));

        await RunWaitingAsync(0, "restore", "latest", "--target", target, "--thaw", "--thaw-wait", "7m");
        Assert.Single(Store.ThawRequests); // asked about again, not requested again
        TreeAssert.Equal(src, Path.Combine(target, src.TrimStart('/')));
    }

    [Fact]
    public async Task Dump_writes_nothing_without_thaw_and_the_exact_bytes_with_it()
    {
        var src = await BackedUpTreeAsync();
        var file = Path.Combine(src, "sub", "deeper", "random.bin");

        var refused = await _cli.RunAsync(20, "dump", "latest", file);
        Assert.Empty(refused.StdoutBytes);
        Assert.Contains("dump needs 1 pack", refused.Stderr);

        Store.ThawPolls = 0;
        var dump = await RunWaitingAsync(0, "dump", "latest", file, "--thaw", "--thaw-priority", "Expedited");
        Assert.Equal(File.ReadAllBytes(file), dump.StdoutBytes);
        Assert.Equal("Expedited", Assert.Single(Store.ThawRequests).Request.Priority);
        Assert.Empty(_time.Waits);
    }

    [Fact]
    public async Task Check_read_data_needs_thaw_and_then_reads_every_pack()
    {
        await BackedUpTreeAsync();

        var refused = await _cli.RunAsync(20, "check", "--read-data");
        Assert.Contains("check --read-data needs 1 pack", refused.Stderr);
        Assert.Empty(refused.Stdout);

        Store.ThawPolls = 1;
        var check = await RunWaitingAsync(0, "check", "--read-data", "--thaw", "--thaw-priority", "Expedited", "--json");
        Assert.True(check.Json.GetProperty("clean").GetBoolean());
        Assert.Equal(Store.InArchiveClass.Count + 1, check.Json.GetProperty("read_data").GetProperty("packs_read").GetInt32()); // and the tree pack
        Assert.Equal(1, check.Json.GetProperty("cold").GetProperty("archived_packs").GetInt32());
        Assert.Equal([TimeSpan.FromMinutes(1)], _time.Waits);
        Assert.Empty(Store.ArchivedReads);
    }

    [Fact]
    public async Task Trees_archived_by_hand_are_reported_by_check_as_not_read_and_backup_still_works()
    {
        var src = await BackedUpTreeAsync();
        foreach (var (name, tier) in Store.PutTiers)
            if (name.Kind == BlobKind.Pack && tier == StorageTier.Hot) Store.Archive(name, "DEEP_ARCHIVE");

        var check = await _cli.RunAsync(0, "check");
        Assert.Contains("trees are in archived packs (first at /): cold, not read, nor anything below them", check.Stdout);
        Assert.DoesNotContain("damaged", check.Stdout);

        var backup = await _cli.RunAsync(0, "backup", src);
        Assert.Contains("directory listings of the parent snapshot are in cold storage", backup.Stderr);
    }

    [Fact]
    public async Task Copy_finds_the_cold_source_packs_first_and_copies_after_a_thaw()
    {
        var src = await BackedUpTreeAsync();
        var source = _cli.Repo;
        var destination = Path.Combine(_cli.Root, "offsite");
        _cli.Env["CAIRN_FROM_PASSWORD"] = CliHarness.Password;
        await _cli.RunAsync(0, "-r", destination, "init");
        _stores[destination].DataStorageClass = null;

        var refused = await _cli.RunAsync(20, "-r", destination, "copy", "--from-repo", source);
        Assert.Contains("copy needs 1 pack", refused.Stderr);
        Assert.Empty((await _cli.RunAsync(0, "-r", destination, "snapshots", "--json")).Json.EnumerateArray());

        // Copy holds locks, whose refresh needs the real clock: a thaw that is done at once keeps it from waiting.
        Store.ThawPolls = 0;
        await _cli.RunAsync(0, "-r", destination, "copy", "--from-repo", source, "--thaw");
        var target = Path.Combine(_cli.Root, "out");
        await _cli.RunAsync(0, "-r", destination, "restore", "latest", "--target", target);
        TreeAssert.Equal(src, Path.Combine(target, src.TrimStart('/')));
        Assert.Empty(Store.ArchivedReads);
    }

    [Fact]
    public async Task Prune_keeps_partly_used_cold_packs_and_with_thaw_repacks_them()
    {
        var src = await BackedUpTreeAsync();
        File.Delete(Path.Combine(src, "sub", "deeper", "random.bin"));
        await _cli.RunAsync(0, "backup", src, "-q");
        await _cli.RunAsync(0, "forget", "--keep-last", "1");

        var kept = await _cli.RunAsync(0, "prune", "--max-unused", "0");
        Assert.Contains("1 partly used cold pack kept, not repacked", kept.Stdout);
        Assert.Empty(Store.ArchivedReads);

        Store.ThawPolls = 0;
        var repacked = await _cli.RunAsync(0, "prune", "--max-unused", "0", "--thaw");
        Assert.Contains("1 cold pack to repack", repacked.Stdout);
        Assert.Contains("repacked 1 pack into 1 new pack", repacked.Stdout);
        Assert.Contains("prune needs 1 pack", repacked.Stderr);
        Assert.Single(Store.ArchivedDeletes);
        Assert.Empty(Store.ArchivedReads);

        var last = Assert.Single((await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray()).GetProperty("short_id").GetString()!;
        await _cli.RunAsync(0, "forget", last, "--prune");
        var check = await _cli.RunAsync(0, "check");
        Assert.Empty(Store.InArchiveClass);
        Assert.DoesNotContain("cold storage", check.Stdout);
    }

    [Theory]
    [InlineData("--thaw-priority", "Fast", "--thaw-priority must be Expedited, Standard or Bulk")]
    [InlineData("--thaw-days", "0", "--thaw-days must be between 1 and 3650")]
    [InlineData("--thaw-wait", "soon", "cannot parse --thaw-wait 'soon'")]
    public async Task Bad_thaw_options_are_usage_errors(string option, string value, string message)
    {
        await BackedUpTreeAsync();
        var run = await _cli.RunAsync(2, "restore", "latest", "--target", Path.Combine(_cli.Root, "out"), "--thaw", option, value);
        Assert.Contains(message, run.Stderr);
        Assert.Empty(Store.ThawRequests);
    }
}
