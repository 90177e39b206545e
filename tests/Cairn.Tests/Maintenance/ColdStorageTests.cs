using System.Text;
using Cairn.Archiving.Backup;
using Cairn.Archiving.Restore;
using Cairn.Content;
using Cairn.Content.Crypto;
using Cairn.Content.Index;
using Cairn.Maintenance.Check;
using Cairn.Maintenance.Copy;
using Cairn.Maintenance.Prune;
using Cairn.Snapshots;
using Cairn.Storage;
using Cairn.Tests.Storage;

namespace Cairn.Tests.Maintenance;

/// <summary>
/// The library rules of cold storage, over a store double that puts data packs in GLACIER as S3 would: trees stay in hot
/// packs, backup copes with an archived parent tree, check and prune read no archived pack, and restore and copy know
/// exactly which packs they will read before they read any.
/// </summary>
public sealed class ColdStorageTests : IDisposable
{
    private const string Password = "cold storage";
    private static readonly CancellationToken s_ct = CancellationToken.None;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-cold-" + Guid.NewGuid().ToString("N")[..12]);

    public ColdStorageTests() => Directory.CreateDirectory(Source);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Source => Path.Combine(_root, "source");

    private static Task<Repository> InitAsync(IBlobStore store, Repository? related = null) =>
        Repository.InitAsync(store, Encoding.UTF8.GetBytes(Password), new RepositoryInitOptions { Kdf = KdfParameters.ForTests, ShareSecretWith = related },
            TimeProvider.System, s_ct);

    private static Task<Repository> OpenAsync(IBlobStore store, bool loadIndex = true) =>
        Repository.OpenAsync(store, Encoding.UTF8.GetBytes(Password), s_ct, loadIndex: loadIndex);

    private void Write(string relative, int seed, int length = 200_000)
    {
        var path = Path.Combine(Source, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
    }

    private async Task<BackupResult> BackupAsync(Repository repository)
    {
        var archiver = new Archiver(repository, new BackupOptions { Paths = [Source] }, TimeProvider.System);
        var result = await archiver.RunAsync(s_ct);
        Assert.Equal(SnapshotStatus.Complete, result.Snapshot.Status);
        return result;
    }

    private static List<BlobName> Packs(ColdBlobStore store, StorageTier tier) =>
        [.. store.PutTiers.Where(p => p.Key.Kind == BlobKind.Pack && p.Value == tier).Select(p => p.Key)];

    [Fact]
    public async Task Trees_and_data_go_to_separate_packs_and_only_data_packs_go_cold()
    {
        await using var store = new ColdBlobStore();
        Write("a/one", 1);
        Write("b/two", 2);
        await using (var repository = await InitAsync(store)) await BackupAsync(repository);

        var dataPacks = Packs(store, StorageTier.Data);
        var treePacks = Packs(store, StorageTier.Hot);
        Assert.NotEmpty(dataPacks);
        Assert.NotEmpty(treePacks);
        Assert.Equal(dataPacks.Order(), store.InArchiveClass.Order());
        // Everything but data packs was put hot: config, key, index, snapshot, lock.
        Assert.All(store.PutTiers.Where(p => p.Key.Kind != BlobKind.Pack), p => Assert.Equal(StorageTier.Hot, p.Value));
        Assert.Contains(store.PutTiers.Keys, n => n.Kind == BlobKind.Snapshot);

        // Thawed, every pack's own header shows it holds one type only: data in the data packs, trees in the others.
        store.ThawPolls = 0;
        await using var reopened = await OpenAsync(store);
        foreach (var pack in dataPacks.Concat(treePacks))
        {
            await store.RequestThawAsync(pack, new ThawRequest(), s_ct);
            var header = await reopened.Content.ReadPackHeaderAsync(ObjectId.Parse(pack.Name), (await store.StatAsync(pack)).Length, s_ct);
            var expected = dataPacks.Contains(pack) ? ObjectType.Data : ObjectType.Tree;
            Assert.All(header, e => Assert.Equal(expected, e.Type));
        }
    }

    [Fact]
    public async Task A_parent_tree_in_an_archived_pack_makes_backup_read_that_directory_again_instead_of_failing()
    {
        await using var store = new ColdBlobStore();
        Write("a/one", 1);
        Write("a/two", 2);
        await using var repository = await InitAsync(store);
        await BackupAsync(repository);
        int dataPacks = Packs(store, StorageTier.Data).Count;
        // A lifecycle rule archived the tree packs too (what an older layout, with trees in data packs, would suffer).
        foreach (var pack in Packs(store, StorageTier.Hot)) store.Archive(pack);

        var archiver = new Archiver(repository, new BackupOptions { Paths = [Source] }, TimeProvider.System);
        var second = await archiver.RunAsync(s_ct);

        Assert.Equal(SnapshotStatus.Complete, second.Snapshot.Status);
        Assert.NotNull(second.Snapshot.Parent);
        Assert.True(archiver.Progress.ColdParentTrees >= 1);
        Assert.Equal(0, archiver.Progress.FilesUnchanged);
        Assert.Equal(2, archiver.Progress.FilesChanged + archiver.Progress.FilesNew);
        // Read again, but deduplicated: no chunk is stored a second time.
        Assert.Equal(dataPacks, Packs(store, StorageTier.Data).Count);
        Assert.NotEmpty(store.ArchivedReads); // it did try the parent, found it cold, and went on
    }

    [Fact]
    public async Task Check_reads_no_archived_pack_and_reports_a_header_it_would_need_as_cold_not_read()
    {
        foreach (bool cold in new[] { true, false })
        {
            await using var store = new ColdBlobStore { DataStorageClass = cold ? "DEEP_ARCHIVE" : null };
            ObjectId pack;
            await using (var repository = await InitAsync(store))
            {
                var unused = await repository.Content.StoreAsync(ObjectType.Data, Encoding.UTF8.GetBytes("an unreferenced chunk"), s_ct);
                var kept = await repository.Content.StoreAsync(ObjectType.Data, Encoding.UTF8.GetBytes("another unreferenced chunk"), s_ct);
                await repository.Content.FlushAsync(s_ct);
                Assert.True(repository.Content.Index.TryGet(kept.Id, out var location));
                pack = location.PackId;
                // An index that lists only the second blob: its offset is not 0, so only the pack's header can prove the
                // pack's size right.
                await foreach (var index in store.ListAsync(BlobKind.Index)) await store.DeleteAsync(index.Name);
                var file = new IndexFile();
                file.Packs.Add((pack, [location.Entry]));
                await repository.Content.SaveFileAsync(BlobKind.Index, ObjectType.Index, file.Encode(), compress: true, s_ct);
                Assert.NotEqual(unused.Id, kept.Id);
            }
            await using var reopened = await OpenAsync(store, loadIndex: false);

            var report = await new Checker(reopened, new CheckOptions()).RunAsync(s_ct);

            Assert.True(report.IsClean);
            Assert.Empty(store.ArchivedReads);
            Assert.Equal(cold ? [pack] : [], report.ColdPackHeaders);
            Assert.Equal(cold ? 1 : 0, report.ArchivedPacks);
            Assert.Equal(cold ? ["DEEP_ARCHIVE"] : [], report.ArchivedClasses);
        }
    }

    [Fact]
    public async Task Prune_deletes_unused_archived_packs_unread_and_repacks_partly_used_ones_only_when_allowed_and_thawed()
    {
        await using var store = new ColdBlobStore();
        Write("f1", 1);
        Write("f2", 2);
        BlobName firstDataPack;
        await using (var repository = await InitAsync(store))
        {
            var first = await BackupAsync(repository);
            firstDataPack = ContentStore.PackName(DataPackOf(repository, 2));
            File.Delete(Path.Combine(Source, "f2"));
            Write("f3", 3);
            await BackupAsync(repository);
            await repository.DeleteSnapshotAsync(first.Snapshot.Id, s_ct);
        }
        var options = new PruneOptions { MaxUnused = UnusedLimit.Absolute(0) };

        // Kept: repacking would read it.
        await using (var repository = await OpenAsync(store, loadIndex: false))
        {
            var plan = await PrunePlanner.PlanAsync(repository, options, s_ct);
            Assert.Equal(1, plan.Statistics.ArchivedPacksKept);
            Assert.True(plan.Statistics.ArchivedUnusedBytesKept >= 200_000);
            Assert.Equal(0, plan.Statistics.PacksToRepack);
            Assert.Equal(2, plan.Statistics.ArchivedPacks);
            Assert.Empty(plan.ArchivedPacksToRepack);
            await Pruner.ExecuteAsync(repository, plan, options, s_ct);
        }
        Assert.Empty(store.ArchivedReads);
        Assert.Contains(firstDataPack, store.InArchiveClass);

        // Allowed but not thawed: the repack fails on the read, before anything is deleted.
        var repack = options with { RepackArchived = true };
        await using (var repository = await OpenAsync(store, loadIndex: false))
        {
            var plan = await PrunePlanner.PlanAsync(repository, repack, s_ct);
            Assert.Equal(1, plan.Statistics.ArchivedPacksToRepack);
            Assert.Equal([firstDataPack], plan.ArchivedPacksToRepack.Select(p => p.Name));
            await Assert.ThrowsAsync<BlobArchivedException>(() => Pruner.ExecuteAsync(repository, plan, repack, s_ct));
        }
        Assert.Contains(firstDataPack, store.InArchiveClass);

        // Thawed: repacked, and the new pack is a data pack again (so it goes to the archive class too).
        store.ThawPolls = 0;
        await store.RequestThawAsync(firstDataPack, new ThawRequest(), s_ct);
        await using (var repository = await OpenAsync(store, loadIndex: false))
        {
            var plan = await PrunePlanner.PlanAsync(repository, repack, s_ct);
            var result = await Pruner.ExecuteAsync(repository, plan, repack, s_ct);
            Assert.Equal(1, result.PacksRepacked);
        }
        Assert.Contains(firstDataPack, store.ArchivedDeletes);
        Assert.Equal(2, store.InArchiveClass.Count);

        // Nothing used any more: every archived pack is deleted whole, unread.
        var reads = store.ArchivedReads.Count;
        await using (var repository = await OpenAsync(store, loadIndex: false))
        {
            foreach (var snapshot in await repository.ListSnapshotsAsync(SnapshotFilter.All, s_ct)) await repository.DeleteSnapshotAsync(snapshot.Id, s_ct);
            var plan = await PrunePlanner.PlanAsync(repository, options, s_ct);
            Assert.Equal(2, plan.Statistics.ArchivedPacksToDelete);
            await Pruner.ExecuteAsync(repository, plan, options, s_ct);
        }
        Assert.Empty(store.InArchiveClass);
        Assert.Equal(reads, store.ArchivedReads.Count);
    }

    [Fact]
    public async Task Restore_and_copy_name_exactly_the_packs_they_will_read()
    {
        // Hot stores (the double for its distinct locations: copy refuses a destination with the source's location).
        await using var store = new ColdBlobStore { DataStorageClass = null };
        await using var source = await InitAsync(store);
        Write("a/a1", 1);
        var first = (await BackupAsync(source)).Snapshot;
        var packA = DataPackOf(source, 1);
        Write("b/b1", 2);
        var second = (await BackupAsync(source)).Snapshot;
        var packB = DataPackOf(source, 2);
        Assert.NotEqual(packA, packB);

        async Task<IReadOnlyCollection<ObjectId>> RestorePacks(string[] includes, string[] excludes) =>
            await new Restorer(source, second, new RestoreOptions { Target = Path.Combine(_root, "unused"), Includes = includes, Excludes = excludes })
                .FindPacksAsync(s_ct);
        Assert.Equal(new[] { packA, packB }.Order(), (await RestorePacks([], [])).Order());
        Assert.Equal([packB], await RestorePacks([Path.Combine(Source, "b")], []));
        Assert.Equal([packA], await RestorePacks([], ["b"]));
        Assert.False(Directory.Exists(Path.Combine(_root, "unused")));

        foreach (bool related in new[] { true, false })
        {
            await using var destinationStore = new ColdBlobStore { DataStorageClass = null };
            await using var destination = await InitAsync(destinationStore, related ? source : null);
            await new SnapshotCopier(source, destination, new CopyOptions()).RunAsync([first], s_ct);

            var copier = new SnapshotCopier(source, destination, new CopyOptions());
            // Related: the destination has a1's chunk under its id; unrelated: the earlier copy teaches the translation.
            Assert.Equal([packB], await copier.FindSourcePacksAsync([first, second], s_ct));
            var result = await copier.RunAsync([first, second], s_ct);
            Assert.Equal([CopyAction.Skipped, CopyAction.Copied], result.Snapshots.Select(s => s.Action));
        }
    }

    // The pack holding the chunk of a file written with this seed (one chunk: the files are under the chunker's minimum).
    private static ObjectId DataPackOf(Repository repository, int seed)
    {
        var bytes = new byte[200_000];
        new Random(seed).NextBytes(bytes);
        Assert.True(repository.Content.Index.TryGet(repository.Content.Hasher.Compute(bytes), out var location));
        return location.PackId;
    }
}
