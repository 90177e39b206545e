using System.Text.Json;
using Cairn.Content;
using Cairn.Content.Index;
using Cairn.Tests.Cli;
using Cairn.Tests.Maintenance;

namespace Cairn.Tests.Crash;

/// <summary>
/// Damage done on disk, found and repaired by the real cairn executable: a deleted index file, a flipped bit, a
/// truncated pack and a deleted pack. check names exactly what is affected and exits 14; repair index and repair
/// snapshots bring the repository back to one that checks clean and restores everything that survived, exactly.
/// (Tests/Maintenance covers each kind of damage in detail in-process; this is the same story through real processes.)
/// </summary>
[Collection(CrashCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CorruptionProcessTests
{
    private static List<JsonElement> Items(JsonElement json, string property) => [.. json.GetProperty(property).EnumerateArray()];

    private static List<string> Strings(IEnumerable<JsonElement> items, string property) =>
        [.. items.Select(i => i.GetProperty(property).GetString()!).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Check_names_each_kind_of_damage_and_repair_recovers_everything_that_survived()
    {
        using var lab = await CheckLab.CreateAsync();
        var cairn = new CairnProcess(lab.Cli.Root, lab.Cli.Repo, CliHarness.Password);
        await cairn.RunAsync(0, "check");

        // A deleted index file: every pack is unreferenced, and the snapshot's root tree is in no index.
        File.Delete(Assert.Single(lab.IndexFiles()));
        var human = await cairn.RunAsync(14, "check");
        Assert.Contains("not in any pack of the index", human.Stdout);
        // The packs no index names hold the missing blobs: check must send the user to repair index, not to prune them
        // or to cut the snapshot down to nothing.
        Assert.Contains($"{lab.PackFiles().Length} packs are not in the index: they may hold the blobs that are missing", human.Stdout);
        Assert.Contains("to rebuild the index from the packs that remain: cairn repair index", human.Stdout);
        Assert.Contains("then, if check still finds lost data, to rewrite the affected snapshots", human.Stdout);
        Assert.Contains("run 'cairn repair index' first", (await cairn.RunAsync(14, "repair", "snapshots", "--dry-run")).Stderr);
        await cairn.RunAsync(0, "repair", "index");
        await cairn.RunAsync(0, "check", "--read-data");

        // Three files lose their only chunk, each in its own way.
        var flipped = await lab.ChunkOfAsync("f2.bin");
        var (truncatedFile, truncated) = await DataOnlyPackAsync(lab, except: ["f2.bin"]);
        var (deletedFile, deleted) = await DataOnlyPackAsync(lab, except: ["f2.bin", truncatedFile]);
        lab.FlipBit(flipped.PackId, flipped.Entry.Offset + flipped.Entry.StoredLength / 2);
        lab.Truncate(truncated.PackId, truncated.Entry.Offset + truncated.Entry.StoredLength / 2);
        File.Delete(lab.PackPath(deleted.PackId));
        var shortId = (await cairn.RunAsync(0, "snapshots", "--json")).Json[0].GetProperty("short_id").GetString()!;

        // The structure check sees the truncated and the deleted pack; only reading the data finds the flipped bit.
        var structure = (await cairn.RunAsync(14, "check", "--json")).Json;
        Assert.Equal([.. new[] { truncated.PackId.ToString(), deleted.PackId.ToString() }.Order(StringComparer.Ordinal)],
            Strings(Items(structure, "damaged_packs"), "id"));
        Assert.Equal(Paths(lab, truncatedFile, deletedFile), Strings(Items(structure, "affected"), "path"));
        var full = (await cairn.RunAsync(14, "check", "--read-data", "--json")).Json;
        Assert.Equal(Ids(flipped, truncated, deleted), Strings(Items(full, "damaged_blobs"), "id"));
        Assert.Equal(Paths(lab, "f2.bin", truncatedFile, deletedFile), Strings(Items(full, "affected"), "path"));
        Assert.All(Items(full, "affected"), a => Assert.Equal(shortId, a.GetProperty("short_id").GetString()));
        var text = (await cairn.RunAsync(14, "check", "--read-data")).Stdout;
        Assert.Contains($"damaged data blob {flipped.Entry.Id} in pack {flipped.PackId}", text);
        Assert.Contains($"damaged pack {deleted.PackId}: it is missing", text);
        Assert.Contains($"damaged pack {truncated.PackId}: it is", text);
        Assert.Contains($"{shortId}  {lab.FilePath(truncatedFile)}", text);

        // repair index leaves out the truncated pack (its header is gone) and forgets the deleted one; the flipped blob
        // is still indexed, so the same three files are what the snapshot loses.
        var repair = (await cairn.RunAsync(14, "repair", "index", "--json")).Json;
        Assert.Equal(truncated.PackId.ToString(), Assert.Single(Items(repair, "damaged_packs")).GetProperty("id").GetString());
        var afterIndex = (await cairn.RunAsync(14, "check", "--read-data", "--json")).Json;
        Assert.Empty(Items(afterIndex, "damaged_packs"));
        Assert.Equal(Paths(lab, "f2.bin", truncatedFile, deletedFile), Strings(Items(afterIndex, "affected"), "path"));
        Assert.Equal(truncated.PackId.ToString(), Assert.Single(Items(afterIndex, "unreferenced_packs")).GetString());

        // repair snapshots cuts the three files out; then the structure checks clean and the rest restores exactly. The
        // corrupt copy stays in its pack, used by no snapshot, until a prune rewrites that pack: --read-data still sees it.
        await cairn.RunAsync(0, "repair", "snapshots", "--read-data", "--forget");
        await cairn.RunAsync(0, "check");
        var leftover = (await cairn.RunAsync(14, "check", "--read-data", "--json")).Json;
        Assert.Equal(flipped.Entry.Id.ToString(), Assert.Single(Items(leftover, "damaged_blobs")).GetProperty("id").GetString());
        Assert.Empty(Items(leftover, "affected"));
        var target = Path.Combine(lab.Cli.Root, "restored");
        await cairn.RunAsync(0, "restore", "latest", "--target", target);
        foreach (var file in Directory.GetFiles(lab.Source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(lab.Source, file);
            var restored = File.ReadAllBytes(target + file);
            if (relative is "f2.bin" || relative == truncatedFile || relative == deletedFile)
                Assert.False(restored.AsSpan().SequenceEqual(File.ReadAllBytes(file)), $"{relative} lost its data and cannot be restored as it was");
            else
                Assert.True(restored.AsSpan().SequenceEqual(File.ReadAllBytes(file)), $"{relative} differs after restore");
        }
    }

    private static List<string> Ids(params BlobLocation[] locations) => [.. locations.Select(l => l.Entry.Id.ToString()).Order(StringComparer.Ordinal)];

    private static List<string> Paths(CheckLab lab, params string[] files) => [.. files.Select(lab.FilePath).Order(StringComparer.Ordinal)];

    // A big file whose chunk's pack holds nothing else a snapshot needs, so damaging it costs exactly that file.
    private static async Task<(string File, BlobLocation Location)> DataOnlyPackAsync(CheckLab lab, string[] except)
    {
        await using var repository = await lab.OpenAsync();
        for (int i = 0; i < CheckLab.BigFiles; i++)
        {
            var file = $"f{i}.bin";
            if (except.Contains(file)) continue;
            var node = await lab.NodeAsync(repository, file);
            Assert.True(repository.Content.Index.TryGet(Assert.Single(node.Content!), out var location));
            if (repository.Content.Index.Entries.All(e => e.Value.PackId != location.PackId || e.Value.Entry.Id == location.Entry.Id))
                return (file, location);
        }
        throw new InvalidOperationException("too few big files have a pack to themselves");
    }
}
