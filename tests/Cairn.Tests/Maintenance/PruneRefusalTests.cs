using Cairn.Content;
using Cairn.Maintenance.Prune;
using Cairn.Storage;

namespace Cairn.Tests.Maintenance;

/// <summary>Prune refuses, deleting nothing, when check would find missing or damaged data.</summary>
public sealed class PruneRefusalTests
{
    /// <summary>Three backups, each with a data pack and a tree pack; the first is forgotten, so prune has packs to delete if it runs.</summary>
    private static async Task<(PruneFixture F, string Needed)> CreateAsync()
    {
        var f = await PruneFixture.CreateAsync();
        var gone = await f.BackupSeedsAsync(1, 2);
        var firstPacks = f.PackFiles();
        await f.BackupSeedsAsync(3, 4);
        var needed = Assert.Single(f.DataPackFiles().Except(firstPacks));
        await f.BackupSeedsAsync(3, 5);
        await f.ForgetAsync(gone);
        return (f, needed);
    }

    private static async Task<PrunePlan> AssertRefusedAsync(PruneFixture f, string expectedProblem)
    {
        var state = f.RepositoryState();
        var repository = await f.ReopenAsync();
        var plan = await PrunePlanner.PlanAsync(repository, new PruneOptions(), CancellationToken.None);
        Assert.Contains(plan.Problems, p => p.Contains(expectedProblem, StringComparison.Ordinal));
        Assert.False(plan.HasWork);
        var refused = await Assert.ThrowsAsync<PruneRefusedException>(() => Pruner.ExecuteAsync(repository, plan, new PruneOptions(), CancellationToken.None));
        Assert.Equal(ExitCode.Integrity, refused.ExitCode);
        Assert.Equal(plan.TotalProblems, refused.TotalProblems);
        Assert.Equal(state, f.RepositoryState());
        return plan;
    }

    [Fact]
    public async Task A_missing_pack_that_a_snapshot_needs_is_reported_and_nothing_is_deleted()
    {
        var (f, needed) = await CreateAsync();
        await using var _ = f;
        File.Delete(needed);

        await AssertRefusedAsync(f, $"pack {Path.GetFileName(needed)[..8]} is in the index but missing from the storage");
    }

    [Fact]
    public async Task A_truncated_pack_is_reported_with_its_sizes()
    {
        var (f, needed) = await CreateAsync();
        await using var _ = f;
        long size = new FileInfo(needed).Length;
        using (var stream = new FileStream(needed, FileMode.Open)) stream.SetLength(size - 10);

        await AssertRefusedAsync(f, $"pack {Path.GetFileName(needed)[..8]} is {size - 10} bytes, but its index entries describe {size} bytes");
    }

    [Fact]
    public async Task A_lost_index_file_does_not_make_its_packs_look_like_leftovers()
    {
        var (f, needed) = await CreateAsync();
        await using var _ = f;
        // Find and delete the index file naming the needed pack: the pack is then "unindexed", yet snapshots use it.
        var packId = ObjectId.Parse(Path.GetFileName(needed));
        var repository = f.Repository;
        foreach (var file in f.IndexFiles())
        {
            var payload = await repository.Content.LoadFileAsync(new BlobName(BlobKind.Index, Path.GetFileName(file)), ObjectType.Index, CancellationToken.None);
            if (Cairn.Content.Index.IndexFile.Decode(payload, file).Packs.Any(p => p.PackId == packId)) File.Delete(file);
        }

        // The snapshot's tree pack was in that index file too, so the walk through its trees stops.
        await AssertRefusedAsync(f, "a tree of the snapshots cannot be read: tree blob ");
        Assert.True(File.Exists(needed));
    }

    [Fact]
    public async Task A_damaged_snapshot_is_reported()
    {
        var (f, _) = await CreateAsync();
        await using var __ = f;
        var snapshot = Path.Combine(f.RepositoryPath, "snapshots", f.Snapshots[^1].ToString());
        var bytes = await File.ReadAllBytesAsync(snapshot);
        bytes[20] ^= 1;
        await File.WriteAllBytesAsync(snapshot, bytes);

        await AssertRefusedAsync(f, $"snapshot {f.Snapshots[^1].ToShortString()} cannot be read");
    }

    [Fact]
    public async Task Missing_data_chunks_are_named()
    {
        var f = await PruneFixture.CreateAsync();
        await using var _ = f;
        var first = await f.BackupSeedsAsync(1, 2);
        var lost = Assert.Single(f.DataPackFiles());
        var lostIndex = Assert.Single(f.IndexFiles());
        await f.BackupSeedsAsync(1, 2, 3);
        await f.ForgetAsync(first);
        // The second snapshot's trees are in its own tree pack, but the chunks of f1 and f2 were only in the first data pack.
        File.Delete(lost);
        File.Delete(lostIndex);

        var plan = await AssertRefusedAsync(f, "data blob ");
        Assert.Equal(2, plan.TotalProblems);
        Assert.All(plan.Problems, p => Assert.StartsWith("data blob ", p, StringComparison.Ordinal));
    }
}
