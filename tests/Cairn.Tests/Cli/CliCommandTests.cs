using System.Text.Json;
using Cairn.Platform;

namespace Cairn.Tests.Cli;

/// <summary>End-to-end tests of each command, run in-process against real repositories in temp directories.</summary>
public sealed class CliCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Init_creates_a_repository_and_refuses_a_second_time()
    {
        var first = await _cli.RunAsync(0, "init");
        Assert.Contains(_cli.Repo, first.Stdout);
        Assert.True(File.Exists(Path.Combine(_cli.Repo, "config")));
        var json = await _cli.RunAsync(2, "init", "--json");
        Assert.Contains("already exists", json.Stderr);
        Assert.Single(json.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Backup_then_snapshots_json_has_the_fields_restic_scripts_read()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        var backup = await _cli.RunAsync(0, "backup", src, "--tag", "a,b", "--tag", "c", "--host", "h1", "--time", "2020-01-02 03:04:05", "--json");
        var summary = backup.Json;
        Assert.Equal("summary", summary.GetProperty("message_type").GetString());
        Assert.Equal(5, summary.GetProperty("files_new").GetInt64()); // a.txt, b.log, random.bin, empty, hard
        Assert.True(summary.GetProperty("data_added").GetInt64() > 200_000);

        var list = (await _cli.RunAsync(0, "snapshots", "--json")).Json;
        var s = Assert.Single(list.EnumerateArray());
        Assert.Equal(summary.GetProperty("snapshot_id").GetString(), s.GetProperty("id").GetString());
        Assert.Equal(s.GetProperty("id").GetString()![..8], s.GetProperty("short_id").GetString());
        var time = DateTimeOffset.Parse(s.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(new DateTimeOffset(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Local)), time);
        Assert.Equal("h1", s.GetProperty("hostname").GetString());
        Assert.Equal(Environment.UserName, s.GetProperty("username").GetString());
        Assert.Equal([src], s.GetProperty("paths").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["a", "b", "c"], s.GetProperty("tags").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(64, s.GetProperty("tree").GetString()!.Length);
        Assert.Equal(JsonValueKind.Null, s.GetProperty("parent").ValueKind);
        Assert.Equal("complete", s.GetProperty("status").GetString());
        Assert.Equal(5, s.GetProperty("summary").GetProperty("files_new").GetInt64());

        var table = await _cli.RunAsync(0, "snapshots");
        Assert.Contains(s.GetProperty("short_id").GetString()!, table.Stdout);
        Assert.Contains("2020-01-02 03:04:05", table.Stdout);
        Assert.Empty((await _cli.RunAsync(0, "snapshots", "--json", "--host", "other")).Json.EnumerateArray());
        Assert.Single((await _cli.RunAsync(0, "snapshots", "--json", "--tag", "a,c")).Json.EnumerateArray());
        Assert.Empty((await _cli.RunAsync(0, "snapshots", "--json", "--tag", "a,x")).Json.EnumerateArray());
        Assert.Single((await _cli.RunAsync(0, "snapshots", "--json", "--path", src)).Json.EnumerateArray());
    }

    [Fact]
    public async Task Latest_and_id_prefixes_name_snapshots_and_bad_references_fail_clearly()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        var ids = new List<string>();
        // Back up until two ids share a first digit (at most 17 tries), so an ambiguous prefix exists.
        string? ambiguous = null;
        for (int i = 0; i < 17 && ambiguous is null; i++)
        {
            var r = await _cli.RunAsync(0, "backup", src, "--host", i == 0 ? "first" : "later", "--json", "-q");
            var id = r.Json.GetProperty("snapshot_id").GetString()!;
            ambiguous = ids.Find(other => other[0] == id[0])?[..1];
            ids.Add(id);
        }
        Assert.NotNull(ambiguous);

        var latest = await _cli.RunAsync(0, "ls", "latest", "--json");
        Assert.Equal(ids[^1], JsonDocument.Parse(latest.Stdout.Split('\n')[0]).RootElement.GetProperty("id").GetString());
        var narrowed = await _cli.RunAsync(0, "ls", "latest", "--host", "first", "--json");
        Assert.Equal(ids[0], JsonDocument.Parse(narrowed.Stdout.Split('\n')[0]).RootElement.GetProperty("id").GetString());
        var byPrefix = await _cli.RunAsync(0, "ls", ids[0][..10], "--json");
        Assert.Equal(ids[0], JsonDocument.Parse(byPrefix.Stdout.Split('\n')[0]).RootElement.GetProperty("id").GetString());

        var twoWay = await _cli.RunAsync(2, "ls", ambiguous!);
        Assert.Contains("matches", twoWay.Stderr);
        var unknownPrefix = Enumerable.Range(0, 16).Select(d => d.ToString("x")).First(d => !ids.Exists(id => id.StartsWith("0" + d, StringComparison.Ordinal)));
        Assert.Contains("no snapshot", (await _cli.RunAsync(17, "ls", "0" + unknownPrefix)).Stderr);
        Assert.Contains("not a snapshot id", (await _cli.RunAsync(2, "ls", "nothex")).Stderr);
        Assert.Contains("no snapshot", (await _cli.RunAsync(17, "ls", "latest", "--host", "nobody")).Stderr);
    }

    [Fact]
    public async Task Ls_lists_recursively_below_a_path_in_text_long_and_json()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "backup", src, "-q");
        var all = (await _cli.RunAsync(0, "ls", "latest")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(src + "/sub/deeper/random.bin", all);
        Assert.Contains(src + "/empty-dir", all);

        var below = (await _cli.RunAsync(0, "ls", "latest", src + "/sub", "-q")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([src + "/sub", src + "/sub/b.log", src + "/sub/deeper", src + "/sub/deeper/random.bin", src + "/sub/hard"], below);

        var longLines = (await _cli.RunAsync(0, "ls", "-l", "latest", src)).Stdout;
        Assert.Contains("-rwxr-xr--", longLines);
        Assert.Contains("-rwsr-xr-x", longLines);
        Assert.Contains(src + "/link -> a.txt", longLines);

        var json = (await _cli.RunAsync(0, "ls", "latest", src + "/a.txt", "--json")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, json.Length);
        var node = JsonDocument.Parse(json[1]).RootElement;
        Assert.Equal("a.txt", node.GetProperty("name").GetString());
        Assert.Equal("file", node.GetProperty("type").GetString());
        Assert.Equal(src + "/a.txt", node.GetProperty("path").GetString());
        Assert.Equal(6, node.GetProperty("size").GetInt64());
        Assert.Equal(0x8000 | 0x1A4, node.GetProperty("mode").GetInt32());
        Assert.Contains(".123456789", node.GetProperty("mtime").GetString());
        Assert.Equal("node", node.GetProperty("struct_type").GetString());

        await _cli.RunAsync(17, "ls", "latest", src + "/missing");
    }

    [Fact]
    public async Task Restore_round_trips_contents_and_metadata_and_verifies()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "backup", src);
        var target = Path.Combine(_cli.Root, "restored");
        var restore = await _cli.RunAsync(0, "restore", "latest", "--target", target, "--verify");
        Assert.Contains("verified 4 files", restore.Stdout);
        var restored = target + src;
        TreeAssert.Equal(src, restored);
        using var dir = DirectoryHandle.Open(restored);
        Assert.Equal(dir.Stat("a.txt"u8).Inode, DirectoryHandle.Open(restored + "/sub").Stat("hard"u8).Inode);
    }

    [Fact]
    public async Task Restore_include_and_exclude_select_paths()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "backup", src, "-q");
        var included = Path.Combine(_cli.Root, "inc");
        await _cli.RunAsync(0, "restore", "latest", "--target", included, "--include", src + "/sub/deeper");
        Assert.True(File.Exists(included + src + "/sub/deeper/random.bin"));
        Assert.False(File.Exists(included + src + "/a.txt"));
        Assert.False(File.Exists(included + src + "/sub/b.log"));

        var excluded = Path.Combine(_cli.Root, "exc");
        await _cli.RunAsync(0, "restore", "latest", "--target", excluded, "--exclude", "*.log", "--exclude", src + "/sub/deeper");
        Assert.True(File.Exists(excluded + src + "/a.txt"));
        Assert.False(File.Exists(excluded + src + "/sub/b.log"));
        Assert.False(Directory.Exists(excluded + src + "/sub/deeper"));
    }

    [Fact]
    public async Task Dump_writes_one_file_exactly_and_refuses_directories_and_missing_paths()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        CliHarness.Sh($"truncate -s 3M '{src}/sparse' && printf middle | dd of='{src}/sparse' bs=1 seek=1500000 conv=notrunc 2>/dev/null");
        await _cli.RunAsync(0, "backup", src, "-q");
        var dump = await _cli.RunAsync(0, "dump", "latest", src + "/sub/deeper/random.bin");
        Assert.Equal(File.ReadAllBytes(src + "/sub/deeper/random.bin"), dump.StdoutBytes);
        var sparse = await _cli.RunAsync(0, "dump", "latest", src + "/sparse");
        Assert.Equal(File.ReadAllBytes(src + "/sparse"), sparse.StdoutBytes);
        Assert.Contains("not a file", (await _cli.RunAsync(2, "dump", "latest", src + "/sub")).Stderr);
        Assert.Contains("does not exist", (await _cli.RunAsync(17, "dump", "latest", src + "/nope")).Stderr);
    }

    [Fact]
    public async Task Diff_shows_added_removed_modified_and_metadata_changes()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        var first = (await _cli.RunAsync(0, "backup", src, "--json")).Json.GetProperty("snapshot_id").GetString()!;
        File.WriteAllText(src + "/sub/b.log", "changed content\n");
        File.Delete(src + "/empty");
        File.WriteAllText(src + "/new.txt", "new\n");
        CliHarness.Sh($"chmod 0600 '{src}/a.txt'");
        var second = (await _cli.RunAsync(0, "backup", src, "--json")).Json.GetProperty("snapshot_id").GetString()!;

        var lines = (await _cli.RunAsync(0, "diff", first[..8], second)).Stdout.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains("+    " + src + "/new.txt", lines);
        Assert.Contains("-    " + src + "/empty", lines);
        Assert.Contains("M    " + src + "/sub/b.log", lines);
        Assert.Contains("U    " + src + "/a.txt", lines);
        Assert.DoesNotContain(lines, l => l.EndsWith("/random.bin", StringComparison.Ordinal));

        var json = (await _cli.RunAsync(0, "diff", first, second, "--json")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(json, j => j.GetProperty("message_type").GetString() == "change" && j.GetProperty("modifier").GetString() == "M"
                                   && j.GetProperty("path").GetString() == src + "/sub/b.log");
        var stats = json[^1];
        Assert.Equal("statistics", stats.GetProperty("message_type").GetString());
        Assert.Equal(1, stats.GetProperty("added").GetInt64());
        Assert.Equal(1, stats.GetProperty("removed").GetInt64());
    }

    [Fact]
    public async Task Stats_counts_restore_size_and_raw_data()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "backup", src, "-q");
        await _cli.RunAsync(0, "backup", src, "-q");
        var restoreSize = (await _cli.RunAsync(0, "stats", "--json")).Json;
        Assert.Equal(2, restoreSize.GetProperty("snapshots_count").GetInt32());
        Assert.Equal(10, restoreSize.GetProperty("total_file_count").GetInt64());
        Assert.Equal(2 * (6 + 9 + 200_000 + 0 + 6), restoreSize.GetProperty("total_size").GetInt64());
        Assert.True(restoreSize.GetProperty("repository").GetProperty("packs").GetInt64() >= 1);

        var raw = (await _cli.RunAsync(0, "stats", "latest", "--mode", "raw-data", "--json")).Json;
        Assert.Equal(1, raw.GetProperty("snapshots_count").GetInt32());
        Assert.True(raw.GetProperty("total_blob_count").GetInt64() >= 4);
        Assert.True(raw.GetProperty("total_uncompressed_size").GetInt64() >= 200_015);
        Assert.True(raw.GetProperty("total_stored_size").GetInt64() > 0);
        Assert.Contains("Compression Ratio", (await _cli.RunAsync(0, "stats", "--mode", "raw-data")).Stdout);
        await _cli.RunAsync(2, "stats", "--mode", "bogus");
    }

    [Fact]
    public async Task Dry_run_writes_nothing_and_an_unchanged_second_backup_reads_nothing()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        var dry = await _cli.RunAsync(0, "backup", src, "--dry-run");
        Assert.Contains("dry run: nothing saved", dry.Stdout);
        Assert.Equal(0, _cli.CountRepoFiles("data"));
        Assert.Equal(0, _cli.CountRepoFiles("index"));
        Assert.Equal(0, _cli.CountRepoFiles("snapshots"));

        await _cli.RunAsync(0, "backup", src, "-q");
        int packs = _cli.CountRepoFiles("data");
        var second = (await _cli.RunAsync(0, "backup", src, "--json")).Json;
        Assert.Equal(5, second.GetProperty("files_unchanged").GetInt64());
        Assert.Equal(0, second.GetProperty("files_new").GetInt64() + second.GetProperty("files_changed").GetInt64());
        Assert.Equal(0, second.GetProperty("bytes_read").GetInt64());
        Assert.True(second.GetProperty("data_added").GetInt64() < 4096, "only trees may be added");
        Assert.True(_cli.CountRepoFiles("data") <= packs + 1);
    }

    [Fact]
    public async Task Help_and_version_work_and_usage_errors_exit_2()
    {
        var help = await _cli.RunAsync(0, "--help");
        Assert.Contains("Exit codes:", help.Stdout);
        foreach (var command in new[] { "init", "backup", "snapshots", "ls", "restore", "dump", "diff", "stats", "key" })
            Assert.Contains("Examples:", (await _cli.RunAsync(0, command, "--help")).Stdout);
        Assert.Contains("0.1.0", (await _cli.RunAsync(0, "--version")).Stdout);
        await _cli.RunAsync(2, "snapshots", "--no-such-option");
        await _cli.RunAsync(2, "backup");
        var typo = await _cli.RunAsync(2, "backup", "--bogus", Path.GetTempPath());
        Assert.Contains("unknown option '--bogus'", typo.Stderr);
        await _cli.RunAsync(2, "restore", "latest");
        await _cli.RunAsync(2);
    }
}
