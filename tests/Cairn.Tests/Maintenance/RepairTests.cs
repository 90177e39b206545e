using System.Text.Json;
using Cairn.Snapshots.Trees;

namespace Cairn.Tests.Maintenance;

/// <summary>repair index and repair snapshots on damaged repositories: afterwards check passes and what survives restores exactly.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RepairTests
{
    private static async Task<List<JsonElement>> SnapshotsAsync(CheckLab lab) => [.. (await lab.Cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray()];

    private static async Task<string> RestoreAsync(CheckLab lab, string snapshot = "latest")
    {
        var target = Path.Combine(lab.Cli.Root, "restore-" + Guid.NewGuid().ToString("N")[..8]);
        await lab.Cli.RunAsync(0, "restore", snapshot, "--target", target);
        return target + lab.Source;
    }

    private static void AssertSameFile(CheckLab lab, string restoredRoot, string relative) =>
        Assert.True(File.ReadAllBytes(lab.FilePath(relative)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(restoredRoot, relative))),
            $"{relative} differs after restore");

    private static void AssertSurvivorsIdentical(CheckLab lab, string restoredRoot, params string[] except)
    {
        foreach (var file in Directory.GetFiles(lab.Source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(lab.Source, file);
            if (!except.Contains(relative)) AssertSameFile(lab, restoredRoot, relative);
        }
    }

    [Fact]
    public async Task Repair_index_rebuilds_a_deleted_index_from_pack_headers()
    {
        using var lab = await CheckLab.CreateAsync();
        var old = Assert.Single(lab.IndexFiles());
        File.Delete(old);
        await lab.CheckAsync(14);

        var result = (await lab.Cli.RunAsync(0, "repair", "index", "--json")).Json;
        Assert.Equal(lab.PackFiles().Length, result.GetProperty("packs_indexed").GetInt32());
        Assert.Single(result.GetProperty("index_files_written").EnumerateArray());
        Assert.Empty(result.GetProperty("damaged_packs").EnumerateArray());

        var check = (await lab.CheckAsync(0, "--read-data")).Json;
        Assert.Empty(check.GetProperty("unreferenced_packs").EnumerateArray());
        AssertSurvivorsIdentical(lab, await RestoreAsync(lab));
    }

    [Fact]
    public async Task Repair_index_replaces_every_old_index_file_and_leaves_out_a_truncated_pack()
    {
        using var lab = await CheckLab.CreateAsync();
        var (file, location) = await lab.FileInDataOnlyPackAsync();
        await lab.Cli.RunAsync(0, "repair", "index");
        var first = Assert.Single(lab.IndexFiles());
        // A second backup adds a second index file; a damaged one is replaced like any other.
        File.WriteAllBytes(lab.FilePath("new.bin"), Cli.CliHarness.RandomBytes(300_000, 500));
        await lab.Cli.RunAsync(0, "backup", lab.Source, "-q");
        Assert.Equal(2, lab.IndexFiles().Length);
        var bytes = File.ReadAllBytes(first);
        bytes[20] ^= 1;
        File.WriteAllBytes(first, bytes);
        lab.Truncate(location.PackId, location.Entry.Offset + location.Entry.StoredLength + 10);

        var result = (await lab.Cli.RunAsync(14, "repair", "index", "--json")).Json;
        var damaged = Assert.Single(result.GetProperty("damaged_packs").EnumerateArray());
        Assert.Equal(location.PackId.ToString(), damaged.GetProperty("id").GetString());
        Assert.Equal(2, result.GetProperty("index_files_removed").GetArrayLength());
        Assert.Equal(lab.PackFiles().Length - 1, result.GetProperty("packs_indexed").GetInt32());
        var index = Assert.Single(lab.IndexFiles());
        Assert.DoesNotContain(Path.GetFileName(first), index);

        // The pack left out is now unreferenced, and the file whose chunk it held is what the snapshots lose.
        var check = (await lab.CheckAsync(14)).Json;
        Assert.Equal(location.PackId.ToString(), Assert.Single(check.GetProperty("unreferenced_packs").EnumerateArray()).GetString());
        var affected = check.GetProperty("affected").EnumerateArray().ToList();
        Assert.Equal(2, affected.Count);
        Assert.All(affected, a => Assert.Equal(lab.FilePath(file), a.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task Repair_snapshots_after_a_lost_pack_and_repair_index_cuts_the_file_and_restores_the_rest_exactly()
    {
        using var lab = await CheckLab.CreateAsync();
        var (file, location) = await lab.FileInDataOnlyPackAsync();
        var original = Assert.Single((await SnapshotsAsync(lab))).GetProperty("id").GetString()!;
        File.Delete(lab.PackPath(location.PackId));
        await lab.Cli.RunAsync(0, "repair", "index");

        // A dry run changes nothing.
        var dry = await lab.Cli.RunAsync(0, "repair", "snapshots", "--dry-run");
        Assert.Contains(lab.FilePath(file), dry.Stdout);
        Assert.Contains("nothing was changed", dry.Stdout);
        Assert.Single((await SnapshotsAsync(lab)));

        var json = (await lab.Cli.RunAsync(0, "repair", "snapshots", "--forget", "--json")).Json;
        var repair = Assert.Single(json.GetProperty("snapshots").EnumerateArray());
        Assert.Equal(original, repair.GetProperty("original").GetString());
        Assert.True(repair.GetProperty("removed").GetBoolean());
        var lost = Assert.Single(repair.GetProperty("lost").EnumerateArray());
        Assert.Equal(lab.FilePath(file), lost.GetProperty("path").GetString());
        Assert.Contains("cut to 0 bytes", lost.GetProperty("message").GetString());

        var snapshot = Assert.Single((await SnapshotsAsync(lab)));
        Assert.Equal(repair.GetProperty("repaired").GetString(), snapshot.GetProperty("id").GetString());
        Assert.Equal(original, snapshot.GetProperty("original").GetString());
        Assert.Equal("partial", snapshot.GetProperty("status").GetString());
        Assert.Contains("repaired", snapshot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains(snapshot.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("path").GetString() == lab.FilePath(file));

        await lab.CheckAsync(0, "--read-data");
        var restored = await RestoreAsync(lab);
        AssertSurvivorsIdentical(lab, restored, file);
        Assert.Equal(0, new FileInfo(Path.Combine(restored, file)).Length);
        await using var repository = await lab.OpenAsync();
        Assert.Equal(NodeFlags.DataLost, (await lab.NodeAsync(repository, file)).Flags & NodeFlags.DataLost);
        Assert.Equal(NodeFlags.None, (await lab.NodeAsync(repository, "f0.bin" == file ? "f1.bin" : "f0.bin")).Flags);
    }

    [Fact]
    public async Task Repair_snapshots_while_the_index_still_knows_the_lost_chunk_keeps_the_size_with_a_hole()
    {
        using var lab = await CheckLab.CreateAsync();
        var (file, location) = await lab.FileInDataOnlyPackAsync();
        File.Delete(lab.PackPath(location.PackId));

        var result = await lab.Cli.RunAsync(0, "repair", "snapshots", "--json");
        Assert.Contains("repair index", result.Stderr);
        var repaired = Assert.Single(result.Json.GetProperty("snapshots").EnumerateArray()).GetProperty("repaired").GetString()!;
        Assert.Equal(2, (await SnapshotsAsync(lab)).Count);
        // The original still uses the lost chunk, and the missing pack is still in the index.
        await lab.CheckAsync(14);

        // Both have the original's time, so "latest" is ambiguous: restore the repaired one by id.
        var restored = await RestoreAsync(lab, repaired);
        AssertSurvivorsIdentical(lab, restored, file);
        var content = File.ReadAllBytes(Path.Combine(restored, file));
        Assert.Equal(new FileInfo(lab.FilePath(file)).Length, content.Length);
        Assert.All(content, b => Assert.Equal(0, b));

        // A second run does not repair the original again; with --forget it only removes it.
        var again = (await lab.Cli.RunAsync(0, "repair", "snapshots", "--json")).Json.GetProperty("snapshots").EnumerateArray().Single();
        Assert.True(again.GetProperty("earlier_repair").GetBoolean());
        Assert.Equal(repaired, again.GetProperty("repaired").GetString());
        Assert.Equal(2, (await SnapshotsAsync(lab)).Count);
        var forget = await lab.Cli.RunAsync(0, "repair", "snapshots", "--forget");
        Assert.Contains("already repaired", forget.Stdout);
        Assert.Equal(repaired, Assert.Single(await SnapshotsAsync(lab)).GetProperty("id").GetString());

        // What remains is the missing pack in the index: rebuilding it leaves a clean repository.
        await lab.CheckAsync(14);
        await lab.Cli.RunAsync(0, "repair", "index");
        await lab.CheckAsync(0, "--read-data");
    }

    [Fact]
    public async Task Repair_snapshots_turns_a_directory_with_a_damaged_tree_into_an_empty_one()
    {
        using var lab = await CheckLab.CreateAsync();
        var tree = await lab.TreeOfAsync("sub/deeper");
        lab.FlipBit(tree.PackId, tree.Entry.Offset + tree.Entry.StoredLength / 2);

        var json = (await lab.Cli.RunAsync(0, "repair", "snapshots", "--forget", "--json")).Json;
        var lost = Assert.Single(Assert.Single(json.GetProperty("snapshots").EnumerateArray()).GetProperty("lost").EnumerateArray());
        Assert.Equal(lab.FilePath("sub/deeper"), lost.GetProperty("path").GetString());

        // The damaged copy stays in its pack (read-data still sees it), but no snapshot uses it any more.
        await lab.CheckAsync(0);
        var restored = await RestoreAsync(lab);
        AssertSurvivorsIdentical(lab, restored, "sub/deeper/d.bin");
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(restored, "sub", "deeper")));
    }

    [Fact]
    public async Task Repair_snapshots_on_a_clean_repository_changes_nothing()
    {
        using var lab = await CheckLab.CreateAsync();
        var before = lab.PackFiles().Length;
        var result = await lab.Cli.RunAsync(0, "repair", "snapshots", "--forget");
        Assert.Contains("nothing to repair", result.Stdout);
        Assert.Single((await SnapshotsAsync(lab)));
        Assert.Equal(before, lab.PackFiles().Length);
    }
}
