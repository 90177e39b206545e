using System.Text.Json;
using Cairn.Content;
using Cairn.Maintenance.Check;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Tests.Maintenance;

/// <summary>check on clean and deliberately damaged repositories: it names exactly what is damaged and what that costs.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CheckTests
{
    private static List<JsonElement> Items(JsonElement json, string property) => [.. json.GetProperty(property).EnumerateArray()];

    private static void AssertAffected(JsonElement json, string snapshotShortId, string path)
    {
        var affected = Items(json, "affected");
        Assert.Contains(affected, a => a.GetProperty("short_id").GetString() == snapshotShortId && a.GetProperty("path").GetString() == path);
    }

    private static async Task<string> LatestShortIdAsync(CheckLab lab) =>
        (await lab.Cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Last().GetProperty("short_id").GetString()!;

    [Fact]
    public async Task A_clean_repository_passes_with_exit_0_and_read_data_reads_every_pack()
    {
        using var lab = await CheckLab.CreateAsync();
        int packs = lab.PackFiles().Length;
        Assert.True(packs >= CheckLab.BigFiles, $"expected several packs, got {packs}");

        var structure = (await lab.CheckAsync(0)).Json;
        Assert.True(structure.GetProperty("clean").GetBoolean());
        Assert.Equal(packs, structure.GetProperty("packs").GetInt32());
        Assert.Equal(1, structure.GetProperty("snapshots").GetInt32());
        Assert.False(structure.TryGetProperty("read_data", out _)); // null fields are left out
        Assert.Empty(Items(structure, "unreferenced_packs"));

        var full = (await lab.CheckAsync(0, "--read-data")).Json;
        var readData = full.GetProperty("read_data");
        Assert.Equal(packs, readData.GetProperty("packs_read").GetInt32());
        Assert.Equal(full.GetProperty("indexed_blobs").GetInt64(), readData.GetProperty("blobs_read").GetInt64());
        Assert.Equal(lab.PackFiles().Sum(f => new FileInfo(f).Length), readData.GetProperty("bytes_read").GetInt64());

        var human = await lab.Cli.RunAsync(0, "check");
        Assert.Contains("no errors were found", human.Stdout);
        await lab.Cli.RunAsync(2, "check", "--read-data", "--read-data-subset", "1/2");
        await lab.Cli.RunAsync(2, "check", "--read-data-subset", "3/2");
        await lab.Cli.RunAsync(2, "check", "--read-data-subset", "0%");
    }

    [Fact]
    public async Task The_golden_repository_checks_clean_with_every_blob_read()
    {
        // Check never writes, so it runs on the golden repository in the test output directly.
        var directory = Path.Combine(AppContext.BaseDirectory, "Golden", "repository-v1");
        await using var repository = await Repository.OpenAsync(new LocalBlobStore(directory), "golden password"u8.ToArray(), CancellationToken.None,
            loadIndex: false);
        var report = await new Checker(repository, new CheckOptions { ReadData = PackSubset.All }).RunAsync(CancellationToken.None);
        Assert.True(report.IsClean, string.Join("; ", report.DamagedBlobs.Select(b => b.Problem).Concat(report.DamagedPacks.Select(p => p.Problem))));
        Assert.Equal(1, report.Snapshots);
        Assert.Equal(report.Packs, report.PacksRead);
        Assert.Equal(report.IndexedBlobs, report.BlobsRead);
        Assert.Empty(report.UnreferencedPacks);
    }

    [Fact]
    public async Task A_flipped_bit_passes_the_structure_check_and_read_data_names_blob_pack_snapshot_and_file()
    {
        using var lab = await CheckLab.CreateAsync();
        var location = await lab.ChunkOfAsync("f2.bin");
        lab.FlipBit(location.PackId, location.Entry.Offset + location.Entry.StoredLength / 2);
        var shortId = await LatestShortIdAsync(lab);

        // Sizes are unchanged and no tree is touched: the structure is intact.
        await lab.CheckAsync(0);

        var json = (await lab.CheckAsync(14, "--read-data")).Json;
        Assert.False(json.GetProperty("clean").GetBoolean());
        var blob = Assert.Single(Items(json, "damaged_blobs"));
        Assert.Equal(location.Entry.Id.ToString(), blob.GetProperty("id").GetString());
        Assert.Equal(location.PackId.ToString(), blob.GetProperty("pack").GetString());
        Assert.Equal("data", blob.GetProperty("type").GetString());
        Assert.Contains("authentication failed", blob.GetProperty("problem").GetString());
        var affected = Assert.Single(Items(json, "affected"));
        Assert.Equal(shortId, affected.GetProperty("short_id").GetString());
        Assert.Equal(lab.FilePath("f2.bin"), affected.GetProperty("path").GetString());
        Assert.Equal(location.Entry.Id.ToString(), Assert.Single(affected.GetProperty("blobs").EnumerateArray()).GetString());

        var human = await lab.Cli.RunAsync(14, "check", "--read-data");
        Assert.Contains($"damaged data blob {location.Entry.Id} in pack {location.PackId}", human.Stdout);
        Assert.Contains($"{shortId}  {lab.FilePath("f2.bin")}", human.Stdout);
    }

    [Fact]
    public async Task A_truncated_pack_is_caught_by_its_size_and_blobs_past_the_end_name_their_files()
    {
        using var lab = await CheckLab.CreateAsync();
        var (file, location) = await lab.FileInDataOnlyPackAsync();
        long length = new FileInfo(lab.PackPath(location.PackId)).Length;

        // Only the header goes: the pack is damaged, but no blob is lost yet.
        lab.Truncate(location.PackId, length - 20);
        var json = (await lab.CheckAsync(14)).Json;
        var pack = Assert.Single(Items(json, "damaged_packs"));
        Assert.Equal(location.PackId.ToString(), pack.GetProperty("id").GetString());
        Assert.Contains("truncated", pack.GetProperty("problem").GetString());
        Assert.Empty(Items(json, "affected"));
        // Reading the data shows the blob is intact and the header is what is gone.
        var read = (await lab.CheckAsync(14, "--read-data")).Json;
        Assert.Empty(Items(read, "damaged_blobs"));
        Assert.Contains(Items(read, "damaged_packs"), p => p.GetProperty("problem").GetString()!.StartsWith("header", StringComparison.Ordinal));

        // Into the blob: now the file is named.
        lab.Truncate(location.PackId, location.Entry.Offset + location.Entry.StoredLength / 2);
        json = (await lab.CheckAsync(14)).Json;
        var blob = Assert.Single(Items(json, "damaged_blobs"));
        Assert.Equal(location.Entry.Id.ToString(), blob.GetProperty("id").GetString());
        Assert.Contains("beyond the end", blob.GetProperty("problem").GetString());
        AssertAffected(json, await LatestShortIdAsync(lab), lab.FilePath(file));
    }

    [Fact]
    public async Task A_deleted_pack_names_its_blobs_and_the_files_that_used_them()
    {
        using var lab = await CheckLab.CreateAsync();
        var (file, location) = await lab.FileInDataOnlyPackAsync();
        File.Delete(lab.PackPath(location.PackId));

        var json = (await lab.CheckAsync(14)).Json;
        var pack = Assert.Single(Items(json, "damaged_packs"));
        Assert.Contains("missing", pack.GetProperty("problem").GetString());
        var blob = Assert.Single(Items(json, "damaged_blobs"));
        Assert.Equal(location.Entry.Id.ToString(), blob.GetProperty("id").GetString());
        Assert.False(blob.GetProperty("intact_copy").GetBoolean());
        var affected = Assert.Single(Items(json, "affected"));
        Assert.Equal(lab.FilePath(file), affected.GetProperty("path").GetString());
        Assert.Equal("file", affected.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_damaged_tree_is_found_by_the_structure_check_and_names_the_directory()
    {
        using var lab = await CheckLab.CreateAsync();
        var tree = await lab.TreeOfAsync("sub/deeper");
        lab.FlipBit(tree.PackId, tree.Entry.Offset + tree.Entry.StoredLength / 2);

        var json = (await lab.CheckAsync(14)).Json;
        var blob = Assert.Single(Items(json, "damaged_blobs"));
        Assert.Equal("tree", blob.GetProperty("type").GetString());
        Assert.Equal(tree.Entry.Id.ToString(), blob.GetProperty("id").GetString());
        var affected = Assert.Single(Items(json, "affected"));
        Assert.Equal(lab.FilePath("sub/deeper"), affected.GetProperty("path").GetString());
        Assert.Equal("dir", affected.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_deleted_index_file_leaves_chunks_unindexed_and_an_undecryptable_one_is_damage()
    {
        using var lab = await CheckLab.CreateAsync();
        var index = Assert.Single(lab.IndexFiles());
        var bytes = File.ReadAllBytes(index);
        bytes[^5] ^= 1;
        File.WriteAllBytes(index, bytes);
        var json = (await lab.CheckAsync(14)).Json;
        var damaged = Assert.Single(Items(json, "damaged_index_files"));
        Assert.Equal(Path.GetFileName(index), damaged.GetProperty("name").GetString());
        Assert.Equal(lab.PackFiles().Length, Items(json, "unreferenced_packs").Count);

        File.Delete(index);
        json = (await lab.CheckAsync(14)).Json;
        Assert.Empty(Items(json, "damaged_index_files"));
        // Every pack is now unreferenced, and the root tree itself is not in any index: the whole snapshot is affected.
        Assert.Equal(lab.PackFiles().Length, Items(json, "unreferenced_packs").Count);
        var blob = Assert.Single(Items(json, "damaged_blobs"));
        Assert.False(blob.TryGetProperty("pack", out _));
        Assert.Contains("not in any pack of the index", blob.GetProperty("problem").GetString());
        Assert.Equal("/", Assert.Single(Items(json, "affected")).GetProperty("path").GetString());
    }

    [Fact]
    public async Task Subsets_n_of_m_cover_every_pack_exactly_once_and_a_percentage_reads_that_share()
    {
        using var lab = await CheckLab.CreateAsync();
        int packs = lab.PackFiles().Length;
        const int m = 3;
        int total = 0;
        for (int n = 1; n <= m; n++)
            total += (await lab.CheckAsync(0, "--read-data-subset", $"{n}/{m}")).Json.GetProperty("read_data").GetProperty("packs_read").GetInt32();
        Assert.Equal(packs, total);
        var half = (await lab.CheckAsync(0, "--read-data-subset", "50%")).Json.GetProperty("read_data");
        Assert.Equal((int)Math.Ceiling(packs / 2.0), half.GetProperty("packs_read").GetInt32());
        Assert.Equal(1, (await lab.CheckAsync(0, "--read-data-subset", "0.1%")).Json.GetProperty("read_data").GetProperty("packs_read").GetInt32());

        // The same at scale, directly on the selection: groups are disjoint and together complete.
        var ids = Enumerable.Range(0, 1000).Select(i => new ObjectId(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))).ToList();
        var seen = new HashSet<ObjectId>();
        for (int n = 1; n <= 7; n++)
        {
            var group = PackSubset.Parse($"{n}/7").Select(ids);
            Assert.InRange(group.Count, 100, 190);
            foreach (var id in group) Assert.True(seen.Add(id), $"pack {id} is in two groups");
        }
        Assert.Equal(ids.Count, seen.Count);
        var share = PackSubset.Parse("10%", new Random(1)).Select(ids);
        Assert.Equal(100, share.Count);
        Assert.Equal(100, share.Distinct().Count());
        Assert.NotEqual(share, PackSubset.Parse("10%", new Random(2)).Select(ids));
    }
}
