using System.Text;
using Cairn.Archiving.Backup;
using Cairn.Archiving.Restore;
using Cairn.Content;
using Cairn.Content.Crypto;
using Cairn.Maintenance;
using Cairn.Maintenance.Copy;
using Cairn.Snapshots;
using Cairn.Storage;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Maintenance;

/// <summary>SnapshotCopier on real local repositories: translation, seeding from earlier copies, related repositories.</summary>
public sealed class CopyTests : IDisposable
{
    private const string SourcePassword = "source secret";
    private const string DestinationPassword = "another secret";
    private static readonly CancellationToken s_ct = CancellationToken.None;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-copy-" + Guid.NewGuid().ToString("N")[..12]);

    public CopyTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string SourcePath => Path.Combine(_root, "source");

    private string DestinationPath => Path.Combine(_root, "destination");

    private string Data => Path.Combine(_root, "data");

    [Fact]
    public async Task Copy_between_unrelated_repositories_translates_every_id_and_restores_byte_identical()
    {
        WriteData();
        await using var source = await InitAsync(SourcePath, SourcePassword);
        await using var destination = await InitAsync(DestinationPath, DestinationPassword);
        var original = await BackupAsync(source, tags: ["daily"]);

        var copier = new SnapshotCopier(source, destination, new CopyOptions());
        Assert.False(copier.Related);
        var result = await copier.RunAsync([original], s_ct);

        var outcome = Assert.Single(result.Snapshots);
        Assert.Equal(CopyAction.Copied, outcome.Action);
        var copy = await destination.LoadSnapshotAsync(outcome.CopyId!.Value, s_ct);
        Assert.Equal(original.Id, copy.CopiedFrom);
        Assert.NotEqual(original.Tree, copy.Tree);
        Assert.Equal(original.Time, copy.Time);
        Assert.Equal(original.Hostname, copy.Hostname);
        Assert.Equal(original.Paths, copy.Paths);
        Assert.Equal(original.Tags, copy.Tags);
        Assert.Equal(original.Status, copy.Status);
        Assert.Equal(original.Summary, copy.Summary);
        Assert.Equal(original.Components, copy.Components);

        // Every blob of the copy is in the destination under its own key: no source id leaked into the copy.
        var sourceBlobs = await ReferenceWalker.CollectAsync(source, [original], null, s_ct);
        var copyBlobs = await ReferenceWalker.CollectAsync(destination, [copy], null, s_ct);
        Assert.Equal(sourceBlobs.Data.Count, copyBlobs.Data.Count);
        Assert.Equal(sourceBlobs.Trees.Count, copyBlobs.Trees.Count);
        Assert.All(copyBlobs.Data.Concat(copyBlobs.Trees), id => Assert.True(destination.Content.Index.Contains(id)));
        Assert.Empty(copyBlobs.Data.Intersect(sourceBlobs.Data));
        Assert.Equal(sourceBlobs.Data.Count + sourceBlobs.Trees.Count, outcome.BlobsAdded);

        await using var reopened = await OpenAsync(new LocalBlobStore(DestinationPath), DestinationPassword);
        await AssertRestoresDataAsync(reopened, copy);
    }

    [Fact]
    public async Task After_an_earlier_copy_a_new_backup_reads_only_its_new_chunks()
    {
        WriteData();
        Snapshot first, second;
        await using (var source = await InitAsync(SourcePath, SourcePassword))
        await using (var destination = await InitAsync(DestinationPath, DestinationPassword))
        {
            first = await BackupAsync(source);
            await new SnapshotCopier(source, destination, new CopyOptions()).RunAsync([first], s_ct);
            // One changed file: the end of the big file, so its first chunks stay the same and only the last is new.
            using (var big = File.OpenWrite(Path.Combine(Data, "big.bin")))
            {
                big.Seek(-1000, SeekOrigin.End);
                big.Write(CliHarness.RandomBytes(1000, 99));
            }
            second = await BackupAsync(source);
        }

        // A new run, as a new process: fresh repositories, an empty translation, reads counted.
        var counting = new CountingBlobStore(new LocalBlobStore(SourcePath));
        await using var sourceAgain = await OpenAsync(counting, SourcePassword);
        await using var destinationAgain = await OpenAsync(new LocalBlobStore(DestinationPath), DestinationPassword);
        var firstChunks = (await ReferenceWalker.CollectAsync(sourceAgain, [first], null, s_ct)).Data;
        var secondChunks = (await ReferenceWalker.CollectAsync(sourceAgain, [second], null, s_ct)).Data;
        var newChunks = secondChunks.Except(firstChunks).ToHashSet();
        var bigChunks = (await FindFileAsync(sourceAgain, second, "big.bin")).Content!;
        Assert.True(newChunks.Count >= 1 && newChunks.Count < bigChunks.Count, $"{newChunks.Count} new chunks of {bigChunks.Count}");
        counting.Reset();

        var result = await new SnapshotCopier(sourceAgain, destinationAgain, new CopyOptions()).RunAsync([first, second], s_ct);

        Assert.Equal([CopyAction.Skipped, CopyAction.Copied], result.Snapshots.Select(s => s.Action));
        Assert.True(result.SeedTreesRead > 0);
        Assert.Equal(newChunks.Order(), DataBlobsRead(sourceAgain, counting).Order());
        var copy = await destinationAgain.LoadSnapshotAsync(result.Snapshots[1].CopyId!.Value, s_ct);
        Assert.Equal(second.Id, copy.CopiedFrom);
        Assert.Equal(result.Snapshots[0].CopyId, copy.Parent); // the source's parent link, translated to its copy
        await AssertRestoresDataAsync(destinationAgain, copy);

        // And a third run has nothing left to do.
        counting.Reset();
        var again = await new SnapshotCopier(sourceAgain, destinationAgain, new CopyOptions()).RunAsync([first, second], s_ct);
        Assert.Equal(0, again.Copied);
        Assert.Equal(0, again.BlobsAdded);
        Assert.Empty(counting.PackReads);
    }

    [Fact]
    public async Task Seeding_uses_copies_from_this_source_even_when_another_source_copied_the_same_host_later()
    {
        WriteData();
        await using var source = await InitAsync(SourcePath, SourcePassword);
        await using var other = await InitAsync(Path.Combine(_root, "other-source"), SourcePassword);
        await using var destination = await InitAsync(DestinationPath, DestinationPassword);
        var first = await BackupAsync(source);
        await new SnapshotCopier(source, destination, new CopyOptions()).RunAsync([first], s_ct);
        // Same host and paths, another source repository, copied later: the newest copy of the group is not this source's.
        var fromOther = await BackupAsync(other);
        await new SnapshotCopier(other, destination, new CopyOptions()).RunAsync([fromOther], s_ct);
        File.WriteAllText(Path.Combine(Data, "sub", "new.txt"), "new\n");
        var second = await BackupAsync(source);
        var counting = new CountingBlobStore(new LocalBlobStore(SourcePath));
        await using var counted = await OpenAsync(counting, SourcePassword);

        var result = await new SnapshotCopier(counted, destination, new CopyOptions()).RunAsync([second], s_ct);

        Assert.Equal(CopyAction.Copied, Assert.Single(result.Snapshots).Action);
        Assert.Equal([(await FindFileAsync(counted, second, "sub/new.txt")).Content!.Single()], DataBlobsRead(counted, counting));
    }

    [Fact]
    public async Task A_pair_that_does_not_line_up_teaches_nothing_and_the_copy_reads_everything()
    {
        WriteData();
        await using var source = await InitAsync(SourcePath, SourcePassword);
        await using var destination = await InitAsync(DestinationPath, DestinationPassword);
        var first = await BackupAsync(source);
        // A "copy" of it that is not one: other data, same host and paths, claiming to come from the first snapshot.
        var other = Path.Combine(_root, "other");
        Directory.CreateDirectory(other);
        File.WriteAllBytes(Path.Combine(other, "big.bin"), CliHarness.RandomBytes(5_000_000, 7));
        var unrelated = await new Archiver(destination, new BackupOptions { Paths = [other], Hostname = "h" }, TimeProvider.System).RunAsync(s_ct);
        await destination.SaveSnapshotAsync(unrelated.Snapshot with { Paths = first.Paths, CopiedFrom = first.Id }, s_ct);
        File.WriteAllText(Path.Combine(Data, "new.txt"), "new\n");
        var second = await BackupAsync(source);
        await using var counted = await OpenAsync(new CountingBlobStore(new LocalBlobStore(SourcePath)), SourcePassword);

        var result = await new SnapshotCopier(counted, destination, new CopyOptions()).RunAsync([first, second], s_ct);

        Assert.Equal([CopyAction.Skipped, CopyAction.Copied], result.Snapshots.Select(s => s.Action));
        Assert.True(result.SeedTreesRead > 0); // the pair was tried, and refused
        var allChunks = (await ReferenceWalker.CollectAsync(counted, [second], null, s_ct)).Data;
        Assert.Equal(allChunks.Order(), DataBlobsRead(counted, (CountingBlobStore)counted.Blobs).Order());
        await AssertRestoresDataAsync(destination, await destination.LoadSnapshotAsync(result.Snapshots[1].CopyId!.Value, s_ct));
    }

    [Fact]
    public async Task Related_repositories_copy_missing_blobs_under_the_same_ids_and_keep_snapshot_ids()
    {
        WriteData();
        await using var source = await InitAsync(SourcePath, SourcePassword);
        var first = await BackupAsync(source);
        await using var destination = await Repository.InitAsync(new LocalBlobStore(DestinationPath), Encoding.UTF8.GetBytes(DestinationPassword),
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests, ShareSecretWith = source }, TimeProvider.System, s_ct);
        await using var stranger = await InitAsync(Path.Combine(_root, "stranger"), SourcePassword);
        Assert.True(SnapshotCopier.AreRelated(source, destination));
        Assert.False(SnapshotCopier.AreRelated(source, stranger)); // the same password does not make repositories related
        Assert.Equal(source.Config.Chunker, destination.Config.Chunker);
        Assert.NotEqual(source.Config.Id, destination.Config.Id);

        var result = await new SnapshotCopier(source, destination, new CopyOptions()).RunAsync([first], s_ct);

        Assert.True(result.Related);
        Assert.Equal(first.Id, result.Snapshots[0].CopyId);
        Assert.Equal(await source.LoadSnapshotJsonAsync(first.Id, s_ct), await destination.LoadSnapshotJsonAsync(first.Id, s_ct));
        var blobs = await ReferenceWalker.CollectAsync(source, [first], null, s_ct);
        Assert.All(blobs.Data.Concat(blobs.Trees), id => Assert.True(destination.Content.Index.Contains(id)));
        Assert.Equal(0, result.SeedTreesRead);

        // A second snapshot with one new file: only that file's chunk, and the trees above it, are read and added.
        File.WriteAllText(Path.Combine(Data, "sub", "new.txt"), "new\n");
        var second = await BackupAsync(source);
        await using var counted = await OpenAsync(new CountingBlobStore(new LocalBlobStore(SourcePath)), SourcePassword);
        var more = await new SnapshotCopier(counted, destination, new CopyOptions()).RunAsync([first, second], s_ct);
        Assert.Equal([CopyAction.Skipped, CopyAction.Copied], more.Snapshots.Select(s => s.Action));
        var newChunk = Assert.Single(DataBlobsRead(counted, (CountingBlobStore)counted.Blobs));
        Assert.Equal((await FindFileAsync(source, second, "sub/new.txt")).Content!.Single(), newChunk);
        await AssertRestoresDataAsync(destination, await destination.LoadSnapshotAsync(second.Id, s_ct));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_interrupted_copy_leaves_complete_snapshots_and_the_next_run_finishes(bool related)
    {
        WriteData();
        await using var source = await InitAsync(SourcePath, SourcePassword);
        var first = await BackupAsync(source);
        File.WriteAllBytes(Path.Combine(Data, "sub", "more.bin"), CliHarness.RandomBytes(3_000_000, 5));
        var second = await BackupAsync(source);
        var failing = new CountingBlobStore(new LocalBlobStore(DestinationPath));
        var init = new RepositoryInitOptions { Kdf = KdfParameters.ForTests, ShareSecretWith = related ? source : null };
        await (await Repository.InitAsync(failing, Encoding.UTF8.GetBytes(DestinationPassword), init, TimeProvider.System, s_ct)).DisposeAsync();
        // Each snapshot's data fits one pack and its trees another: the first copy's two uploads succeed, the second's fail.
        failing.PackPutsBeforeFailure = 2;
        await using (var interrupted = await OpenAsync(failing, DestinationPassword))
        {
            await Assert.ThrowsAsync<StorageException>(() => new SnapshotCopier(source, interrupted, new CopyOptions()).RunAsync([first, second], s_ct));
        }

        await using var destination = await OpenAsync(new LocalBlobStore(DestinationPath), DestinationPassword);
        var left = Assert.Single(await destination.ListSnapshotsAsync(SnapshotFilter.All, s_ct));
        Assert.Equal(first.Time, left.Time);
        await AssertRestoresDataAsync(destination, left, exceptSecondFile: true);

        var result = await new SnapshotCopier(source, destination, new CopyOptions()).RunAsync([first, second], s_ct);
        Assert.Equal([CopyAction.Skipped, CopyAction.Copied], result.Snapshots.Select(s => s.Action));
        await AssertRestoresDataAsync(destination, await destination.LoadSnapshotAsync(result.Snapshots[1].CopyId!.Value, s_ct));
    }

    [Fact]
    public async Task A_dry_run_counts_what_it_would_add_and_writes_nothing()
    {
        WriteData();
        await using var source = await InitAsync(SourcePath, SourcePassword);
        await using var destination = await InitAsync(DestinationPath, DestinationPassword);
        var first = await BackupAsync(source);
        var before = Directory.GetFiles(DestinationPath, "*", SearchOption.AllDirectories).Order().ToList();

        var dry = await new SnapshotCopier(source, destination, new CopyOptions { DryRun = true }).RunAsync([first], s_ct);

        Assert.Equal(before, Directory.GetFiles(DestinationPath, "*", SearchOption.AllDirectories).Order());
        var outcome = Assert.Single(dry.Snapshots);
        Assert.Equal(CopyAction.Copied, outcome.Action);
        Assert.Null(outcome.CopyId);
        await using var fresh = await OpenAsync(new LocalBlobStore(DestinationPath), DestinationPassword);
        var real = await new SnapshotCopier(source, fresh, new CopyOptions()).RunAsync([first], s_ct);
        Assert.Equal(real.BlobsAdded, dry.BlobsAdded);
        Assert.Equal(real.BytesAdded, dry.BytesAdded);
    }

    [Fact]
    public async Task Copying_a_repository_into_itself_is_refused()
    {
        WriteData();
        await using var source = await InitAsync(SourcePath, SourcePassword);
        var first = await BackupAsync(source);
        await using var same = await OpenAsync(new LocalBlobStore(SourcePath), SourcePassword);
        var e = await Assert.ThrowsAsync<CairnException>(() => new SnapshotCopier(source, same, new CopyOptions()).RunAsync([first], s_ct));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
    }

    /// <summary>A few small files, an empty one, a subdirectory and a 5 MB file (several chunks even at the 4 MiB maximum).</summary>
    private void WriteData()
    {
        Directory.CreateDirectory(Path.Combine(Data, "sub", "deeper"));
        File.WriteAllText(Path.Combine(Data, "a.txt"), "hello\n");
        File.WriteAllBytes(Path.Combine(Data, "empty"), []);
        File.WriteAllText(Path.Combine(Data, "sub", "b.txt"), "b\n");
        File.WriteAllBytes(Path.Combine(Data, "sub", "deeper", "c.bin"), CliHarness.RandomBytes(300_000, 2));
        File.WriteAllBytes(Path.Combine(Data, "big.bin"), CliHarness.RandomBytes(5_000_000, 3));
    }

    private static Task<Repository> InitAsync(string path, string password) =>
        Repository.InitAsync(new LocalBlobStore(path), Encoding.UTF8.GetBytes(password), new RepositoryInitOptions { Kdf = KdfParameters.ForTests },
            TimeProvider.System, s_ct);

    private static Task<Repository> OpenAsync(IBlobStore store, string password) => Repository.OpenAsync(store, Encoding.UTF8.GetBytes(password), s_ct);

    private async Task<Snapshot> BackupAsync(Repository repository, IReadOnlyList<string>? tags = null) =>
        (await new Archiver(repository, new BackupOptions { Paths = [Data], Hostname = "h", Tags = tags ?? [] }, TimeProvider.System).RunAsync(s_ct)).Snapshot;

    private async Task AssertRestoresDataAsync(Repository repository, Snapshot snapshot, bool exceptSecondFile = false)
    {
        var target = Path.Combine(_root, "restore-" + Guid.NewGuid().ToString("N")[..8]);
        var restore = await new Restorer(repository, snapshot, new RestoreOptions { Target = target, Verify = true }).RunAsync(s_ct);
        Assert.Empty(restore.Errors);
        Assert.Equal(restore.Files, restore.FilesVerified);
        var restored = Path.Combine(target, Data.TrimStart('/'));
        if (exceptSecondFile)
        {
            // The snapshot was taken before sub/more.bin existed (and before sub changed); the rest must match.
            Assert.False(File.Exists(Path.Combine(restored, "sub", "more.bin")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(Data, "big.bin")), File.ReadAllBytes(Path.Combine(restored, "big.bin")));
            return;
        }
        TreeAssert.Equal(Data, restored);
    }

    /// <summary>The file at <paramref name="relative"/> under the data directory, in a snapshot.</summary>
    private async Task<Cairn.Snapshots.Trees.Node> FindFileAsync(Repository repository, Snapshot snapshot, string relative)
    {
        var tree = await repository.LoadTreeAsync(snapshot.Tree, s_ct);
        var parts = (Data.TrimStart('/') + "/" + relative).Split('/');
        for (int i = 0; ; i++)
        {
            var node = tree.Find(Encoding.UTF8.GetBytes(parts[i]))!;
            if (i == parts.Length - 1) return node;
            tree = await repository.LoadTreeAsync(node.Subtree, s_ct);
        }
    }

    /// <summary>The data blobs whose bytes were read from the store, found by matching each pack read to the index.</summary>
    private static List<ObjectId> DataBlobsRead(Repository repository, CountingBlobStore store)
    {
        var byPlace = repository.Content.Index.Entries.ToDictionary(e => (e.Value.PackId.ToString(), (long)e.Value.Entry.Offset), e => e.Value.Entry);
        var read = new List<ObjectId>();
        foreach (var (pack, offset, length) in store.PackReads)
        {
            var entry = byPlace[(pack, offset)];
            Assert.Equal((int)entry.StoredLength, length); // whole single blobs, so the match is exact
            if (entry.Type == ObjectType.Data) read.Add(entry.Id);
        }
        return read;
    }
}
