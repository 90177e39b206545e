using Cairn.Content;
using Cairn.Content.Index;
using Cairn.Content.Packs;
using Cairn.Maintenance;
using Cairn.Maintenance.Prune;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;
using Cairn.Storage;

namespace Cairn.Tests.Maintenance;

/// <summary>Prune deletes exactly the unused data, repacks as the limits say, and every remaining snapshot still restores.</summary>
public sealed class PruneTests
{
    [Fact]
    public async Task Packs_of_a_forgotten_snapshot_are_deleted_and_the_repository_shrinks_by_their_size()
    {
        await using var f = await PruneFixture.CreateAsync();
        var first = await f.BackupSeedsAsync(1, 2);
        // Its data pack and its tree pack: the next backup changes every directory on the path, so it shares no tree.
        var firstPacks = f.PackFiles();
        Assert.Single(f.DataPackFiles());
        Assert.Single(f.TreePackFiles());
        await f.BackupSeedsAsync(3, 4);
        await f.ForgetAsync(first);
        long before = f.PackBytes, firstPacksSize = firstPacks.Sum(p => new FileInfo(p).Length);

        var (plan, result) = await f.PruneAsync();

        Assert.Empty(plan.Problems);
        Assert.Equal(2, plan.Statistics.PacksToDelete);
        Assert.Equal(0, plan.Statistics.PacksToRepack);
        Assert.Equal(firstPacksSize, plan.Statistics.BytesToFree);
        Assert.DoesNotContain(firstPacks, File.Exists);
        Assert.Equal(before - firstPacksSize, f.PackBytes);
        Assert.Equal(firstPacksSize, result.BytesFreed);
        Assert.Equal(2, result.PacksDeleted);
        await f.AssertAllRestorableAsync();
        await AssertNoUnusedDataAsync(f);
    }

    [Fact]
    public async Task With_every_snapshot_forgotten_prune_empties_the_repository()
    {
        await using var f = await PruneFixture.CreateAsync();
        await f.ForgetAsync(await f.BackupSeedsAsync(1));
        await f.ForgetAsync(await f.BackupSeedsAsync(2));

        var (plan, result) = await f.PruneAsync();

        Assert.Equal(4, plan.Statistics.PacksToDelete); // a data pack and a tree pack per backup
        Assert.Equal(0, result.IndexFilesWritten);
        Assert.Equal(2, result.IndexFilesDeleted);
        Assert.Empty(f.PackFiles());
        Assert.Empty(f.IndexFiles());
        Assert.False((await f.PruneAsync()).Plan.HasWork);
    }

    [Fact]
    public async Task A_partly_used_pack_is_repacked_into_a_pack_of_exactly_its_used_blobs()
    {
        await using var f = await PruneFixture.CreateAsync();
        var first = await f.BackupSeedsAsync(1, 2, 3, 4);
        var oldPack = Assert.Single(f.DataPackFiles());
        await f.BackupSeedsAsync(1, 2, 5);
        var secondPack = Assert.Single(f.DataPackFiles().Except([oldPack]));
        await f.ForgetAsync(first);
        var oldEntries = ReadPackHeader(f, oldPack);
        long before = f.PackBytes;

        var (plan, result) = await f.PruneAsync();

        Assert.Equal(1, plan.Statistics.PacksToRepack);
        Assert.Equal(1, plan.Statistics.PacksToDelete); // the first backup's tree pack
        Assert.False(File.Exists(oldPack));
        Assert.True(File.Exists(secondPack));
        var newPack = Assert.Single(f.DataPackFiles().Except([secondPack]));
        var references = await CollectReferencesAsync(f);
        var expectedIds = oldEntries.Select(e => e.Id).Where(id => references.Contains(id)).Order().ToList();
        Assert.Equal(expectedIds, ReadPackHeader(f, newPack).Select(e => e.Id).Order().ToList());
        Assert.Equal(2, expectedIds.Count(id => references.Data.Contains(id))); // the chunks of f1 and f2
        long shrink = before - f.PackBytes;
        Assert.Equal(new FileInfo(newPack).Length, result.BytesWritten);
        Assert.Equal(shrink, result.BytesFreed);
        Assert.True(shrink >= 2 * 300_000, $"freed only {shrink} bytes, but two 300 kB chunks were unused");
        Assert.Equal(0, result.UnusedBytesRemaining);
        await f.AssertAllRestorableAsync();
        await AssertNoUnusedDataAsync(f);
    }

    /// <summary>
    /// Three packs: a big one with one small unused file (~1.5 % of the repository), a small one half unused, and a
    /// fully used one. Returns the paths of the first two.
    /// </summary>
    private static async Task<(string Big, string Small)> CreateTwoPartlyUsedPacksAsync(PruneFixture f)
    {
        var big = Enumerable.Range(1, 10).ToDictionary(i => $"f{i}", i => PruneFixture.Data(i));
        var first = await f.BackupAsync(new Dictionary<string, byte[]>(big) { ["small"] = PruneFixture.Data(99, 50_000) });
        var bigPack = Assert.Single(f.DataPackFiles());
        var second = await f.BackupAsync(new Dictionary<string, byte[]>(big) { ["f20"] = PruneFixture.Data(20), ["f22"] = PruneFixture.Data(22) });
        var smallPack = Assert.Single(f.DataPackFiles().Except([bigPack]));
        await f.BackupAsync(new Dictionary<string, byte[]>(big) { ["f22"] = PruneFixture.Data(22), ["f21"] = PruneFixture.Data(21) });
        await f.ForgetAsync(first);
        await f.ForgetAsync(second);
        return (bigPack, smallPack);
    }

    [Fact]
    public async Task The_default_limit_repacks_the_worst_pack_and_tolerates_a_little_unused_space()
    {
        await using var f = await PruneFixture.CreateAsync();
        var (big, small) = await CreateTwoPartlyUsedPacksAsync(f);

        var (plan, result) = await f.PruneAsync();

        Assert.Equal(1, plan.Statistics.PacksToRepack);
        Assert.False(File.Exists(small));
        Assert.True(File.Exists(big));
        Assert.True(result.UnusedBytesRemaining > 50_000 && result.UnusedBytesRemaining <= plan.Statistics.MaxUnusedBytes,
            $"{result.UnusedBytesRemaining} unused bytes left, limit {plan.Statistics.MaxUnusedBytes}");
        // 5 % of the repository after prune: unused ≤ used · 5 / 95.
        Assert.Equal(plan.Statistics.UsedBytes * 5 / 95, plan.Statistics.MaxUnusedBytes, tolerance: 1);
        await f.AssertAllRestorableAsync();
    }

    [Fact]
    public async Task Max_unused_zero_repacks_every_partly_used_pack()
    {
        await using var f = await PruneFixture.CreateAsync();
        var (big, small) = await CreateTwoPartlyUsedPacksAsync(f);

        var (plan, result) = await f.PruneAsync(new PruneOptions { MaxUnused = UnusedLimit.Absolute(0) });

        Assert.Equal(2, plan.Statistics.PacksToRepack);
        Assert.Equal(2, result.PacksRepacked);
        Assert.False(File.Exists(small));
        Assert.False(File.Exists(big));
        Assert.Equal(0, result.UnusedBytesRemaining);
        await f.AssertAllRestorableAsync();
        await AssertNoUnusedDataAsync(f);
    }

    [Theory]
    [InlineData("unlimited")]
    [InlineData("90%")]
    [InlineData("10M")]
    public async Task A_generous_limit_keeps_partly_used_packs(string limit)
    {
        await using var f = await PruneFixture.CreateAsync();
        var (big, small) = await CreateTwoPartlyUsedPacksAsync(f);
        var dataPacks = f.DataPackFiles().ToDictionary(p => p, File.ReadAllBytes);
        var treeBlobBytes = f.TreePackFiles().ToDictionary(p => p, p => ReadPackHeader(f, p).Sum(e => (long)e.StoredLength));
        var options = new PruneOptions
        {
            MaxUnused = limit switch { "unlimited" => UnusedLimit.Unlimited, "90%" => UnusedLimit.Percent(90), _ => UnusedLimit.Absolute(10 << 20) },
        };

        var (plan, result) = await f.PruneAsync(options);

        Assert.Equal(0, plan.Statistics.PacksToRepack);
        // Only the tree packs of the two forgotten snapshots go (no tree of theirs is still used); no data pack changes.
        Assert.Equal(2, plan.Statistics.PacksToDelete);
        var deletedTreePacks = treeBlobBytes.Keys.Where(p => !File.Exists(p)).ToList();
        Assert.Equal(2, deletedTreePacks.Count);
        Assert.Equal(plan.Statistics.UnusedBytes - deletedTreePacks.Sum(p => treeBlobBytes[p]), result.UnusedBytesRemaining);
        Assert.True(File.Exists(big) && File.Exists(small));
        Assert.Equal(dataPacks.Keys, f.DataPackFiles());
        foreach (var (pack, bytes) in dataPacks) Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(pack)), $"{pack} changed");
    }

    [Fact]
    public async Task Max_repack_size_limits_the_bytes_repacked_and_a_later_prune_finishes()
    {
        await using var f = await PruneFixture.CreateAsync();
        var (big, small) = await CreateTwoPartlyUsedPacksAsync(f);
        long smallSize = new FileInfo(small).Length, bigSize = new FileInfo(big).Length;
        Assert.True(smallSize < bigSize);

        var (plan, _) = await f.PruneAsync(new PruneOptions { MaxUnused = UnusedLimit.Absolute(0), MaxRepackBytes = bigSize - 1 });

        Assert.Equal(1, plan.Statistics.PacksToRepack);
        Assert.Equal(smallSize, plan.Statistics.BytesToRepack);
        Assert.True(File.Exists(big));
        Assert.False(File.Exists(small));
        await f.AssertAllRestorableAsync();

        var (none, _) = await f.PruneAsync(new PruneOptions { MaxUnused = UnusedLimit.Absolute(0), MaxRepackBytes = 0 });
        Assert.Equal(0, none.Statistics.PacksToRepack);
        Assert.True(File.Exists(big));

        var (rest, _) = await f.PruneAsync(new PruneOptions { MaxUnused = UnusedLimit.Absolute(0) });
        Assert.Equal(bigSize, rest.Statistics.BytesToRepack);
        Assert.False(File.Exists(big));
        await f.AssertAllRestorableAsync();
        await AssertNoUnusedDataAsync(f);
    }

    [Fact]
    public async Task Leftover_packs_that_no_index_names_are_deleted()
    {
        await using var f = await PruneFixture.CreateAsync();
        await f.BackupSeedsAsync(1, 2);
        var packs = f.PackFiles();
        // What an interrupted backup leaves: a pack uploaded, the process gone before its index file.
        var repository = f.Repository;
        await using (var store = new ContentStore(repository.Blobs, repository.MasterKey, repository.Config, new ContentStoreOptions { PacksPerIndexFile = int.MaxValue }))
        {
            await store.StoreAsync(ObjectType.Data, PruneFixture.Data(77), CancellationToken.None);
            Assert.Single(await store.FlushPacksAsync(CancellationToken.None));
        }
        var leftover = Assert.Single(f.PackFiles().Except(packs));
        long leftoverSize = new FileInfo(leftover).Length;
        var indexFiles = f.IndexFiles();

        var (plan, result) = await f.PruneAsync();

        Assert.Equal(1, plan.Statistics.UnindexedPacks);
        Assert.Equal(leftoverSize, plan.Statistics.UnindexedBytes);
        Assert.False(plan.RewritesIndex);
        Assert.False(File.Exists(leftover));
        Assert.Equal(packs, f.PackFiles());
        Assert.Equal(indexFiles, f.IndexFiles());
        Assert.Equal(leftoverSize, result.BytesFreed);
        await f.AssertAllRestorableAsync();
    }

    [Fact]
    public async Task Duplicate_copies_count_as_unused_and_one_copy_is_kept()
    {
        await using var f = await PruneFixture.CreateAsync();
        await f.BackupSeedsAsync(1, 2, 3);
        var original = Assert.Single(f.DataPackFiles());
        var before = f.PackFiles();
        var entries = ReadPackHeader(f, original);
        var packId = ObjectId.Parse(Path.GetFileName(original));
        // Copy every blob into a second, indexed pack, as an interrupted prune that wrote its new index would leave.
        var repository = f.Repository;
        await using (var store = new ContentStore(repository.Blobs, repository.MasterKey, repository.Config))
        {
            foreach (var entry in entries)
            {
                var bytes = new byte[entry.StoredLength];
                await repository.Content.ReadPackRangeAsync(packId, entry.Offset, bytes, CancellationToken.None);
                Assert.True((await store.StoreSealedAsync(new BlobLocation(packId, entry), bytes, CancellationToken.None)).IsNew);
            }
            await store.FlushAsync(CancellationToken.None);
        }
        var copy = Assert.Single(f.PackFiles().Except(before));
        long packSize = new FileInfo(original).Length;
        Assert.Equal(packSize, new FileInfo(copy).Length);

        var (plan, result) = await f.PruneAsync(new PruneOptions { MaxUnused = UnusedLimit.Absolute(0) });

        Assert.Equal(entries.Count, plan.Statistics.DuplicateBlobs);
        Assert.Equal(1, plan.Statistics.PacksToDelete);
        Assert.Equal(0, plan.Statistics.PacksToRepack);
        Assert.Contains(Assert.Single(f.DataPackFiles()), new[] { original, copy });
        Assert.Equal(packSize, result.BytesFreed);
        await f.AssertAllRestorableAsync();
        await AssertNoUnusedDataAsync(f);
    }

    [Fact]
    public async Task A_damaged_blob_in_a_pack_to_repack_stops_prune_before_anything_is_deleted()
    {
        await using var f = await PruneFixture.CreateAsync();
        var first = await f.BackupSeedsAsync(1, 2, 3);
        var pack = Assert.Single(f.DataPackFiles());
        await f.BackupSeedsAsync(1, 4);
        await f.ForgetAsync(first);
        // Flip a byte inside the chunk of f1, which is used and would be copied.
        var references = await CollectReferencesAsync(f);
        var entries = ReadPackHeader(f, pack);
        var victim = entries.First(e => e.Type == ObjectType.Data && references.Data.Contains(e.Id));
        var bytes = await File.ReadAllBytesAsync(pack);
        bytes[victim.Offset + 100] ^= 0x40;
        await File.WriteAllBytesAsync(pack, bytes);
        var state = f.RepositoryState();

        var error = await Assert.ThrowsAsync<IntegrityException>(() => f.PruneAsync());

        Assert.Contains(victim.Id.ToShortString(), error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(pack)[..8], error.Message, StringComparison.Ordinal);
        var after = f.RepositoryState();
        foreach (var (name, hash) in state) Assert.Equal(hash, after.GetValueOrDefault(name));
    }

    /// <summary>Two backups sharing one file; the first is forgotten, so its pack is partly used.</summary>
    private static async Task<PruneFixture> WithOnePartlyUsedPackAsync()
    {
        var f = await PruneFixture.CreateAsync();
        var first = await f.BackupSeedsAsync(1, 2, 3);
        await f.BackupSeedsAsync(1, 4);
        await f.ForgetAsync(first);
        return f;
    }

    [Fact]
    public async Task The_lease_is_checked_before_each_deleting_phase_and_a_failed_check_deletes_nothing()
    {
        await using var f = await WithOnePartlyUsedPackAsync();
        var phases = new List<PrunePhase>();
        var packs = f.PackFiles();
        var indexFiles = f.IndexFiles();

        await Assert.ThrowsAsync<CairnException>(() => f.PruneAsync(new PruneOptions
        {
            BeforeDelete = (phase, _) =>
            {
                phases.Add(phase);
                throw new CairnException("lease lost", ExitCode.Locked);
            },
        }));

        Assert.Equal([PrunePhase.DeleteIndexFiles], phases);
        Assert.Empty(packs.Except(f.PackFiles()));
        Assert.Empty(indexFiles.Except(f.IndexFiles()));
        await f.AssertAllRestorableAsync();

        phases.Clear();
        await f.PruneAsync(new PruneOptions { BeforeDelete = (phase, _) => { phases.Add(phase); return ValueTask.CompletedTask; } });
        Assert.Equal([PrunePhase.DeleteIndexFiles, PrunePhase.DeletePacks], phases);
        await f.AssertAllRestorableAsync();
        await AssertNoUnusedDataAsync(f);
    }

    [Fact]
    public async Task A_lost_exclusive_lock_stops_prune_before_it_deletes_anything()
    {
        await using var f = await WithOnePartlyUsedPackAsync();
        var packs = f.PackFiles();
        var indexFiles = f.IndexFiles();
        var repository = await f.ReopenAsync();
        await using var lease = await RepositoryLock.AcquireAsync(repository, LockKind.Exclusive, new LockOptions { Command = "cairn prune" },
            TimeProvider.System, CancellationToken.None);
        var plan = await PrunePlanner.PlanAsync(repository, new PruneOptions(), CancellationToken.None);
        Assert.True(plan.HasWork);
        // Someone ran 'cairn unlock --remove-all' meanwhile: the next refresh finds the lock file gone.
        foreach (var file in Directory.GetFiles(Path.Combine(f.RepositoryPath, "locks"))) File.Delete(file);
        await Assert.ThrowsAnyAsync<CairnException>(() => lease.RefreshAsync(CancellationToken.None));

        var error = await Assert.ThrowsAnyAsync<CairnException>(() => Pruner.ExecuteAsync(repository, plan, new PruneOptions(), CancellationToken.None));

        Assert.Equal(ExitCode.Locked, error.ExitCode);
        Assert.Empty(packs.Except(f.PackFiles()));
        Assert.Empty(indexFiles.Except(f.IndexFiles()));
        await f.AssertAllRestorableAsync();
    }

    [Fact]
    public void An_index_that_lists_a_pack_twice_loads_it_once()
    {
        var index = new RepositoryIndex();
        var pack = new ObjectId(new byte[32]);
        var id = new ObjectId(Enumerable.Repeat((byte)7, 32).ToArray());
        BlobEntry[] blobs = [new(ObjectType.Data, BlobFlags.None, id, 0, 100, 72)];
        index.AddPack(pack, blobs);
        index.AddPack(pack, blobs);
        Assert.Equal(1, index.Count);
        Assert.Single(index.PackIds);
        Assert.True(index.TryGet(id, out var location) && location.PackId == pack);
    }

    internal static List<BlobEntry> ReadPackHeader(PruneFixture f, string path) =>
        PackFormat.ReadHeader(File.ReadAllBytes(path), f.Repository.Content.Cipher, path);

    internal static async Task<BlobReferences> CollectReferencesAsync(PruneFixture f)
    {
        var repository = await f.ReopenAsync();
        var snapshots = await repository.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None);
        return await ReferenceWalker.CollectAsync(repository, snapshots, null, CancellationToken.None);
    }

    /// <summary>Every blob in every pack is referenced, once, and each pack is exactly as big as its index entries say.</summary>
    internal static async Task AssertNoUnusedDataAsync(PruneFixture f)
    {
        var references = await CollectReferencesAsync(f);
        var seen = new HashSet<ObjectId>();
        foreach (var pack in f.PackFiles())
        {
            var entries = ReadPackHeader(f, pack);
            Assert.Equal(new FileInfo(pack).Length, PackFormat.ExpectedLength(entries));
            foreach (var e in entries)
            {
                Assert.True(references.Contains(e.Id), $"unreferenced blob {e.Id.ToShortString()} in {Path.GetFileName(pack)}");
                Assert.True(seen.Add(e.Id), $"blob {e.Id.ToShortString()} stored twice");
            }
        }
        Assert.Equal(references.Trees.Count + references.Data.Count, seen.Count);
        Assert.Equal(seen.Count, f.Repository.Content.Index.Count);
    }
}
