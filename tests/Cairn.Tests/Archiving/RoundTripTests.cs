using Cairn.Archiving.Backup;
using Cairn.Archiving.Restore;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Tests.Platform;

namespace Cairn.Tests.Archiving;

/// <summary>Property tests: random trees survive backup and restore byte-identical, with their metadata.</summary>
public sealed class RoundTripTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_tree_round_trips_byte_identical_with_metadata(int seed)
    {
        using var source = new TempTree();
        using var target = new TempTree();
        RandomTree.Build(source.Root, seed);
        await using var repo = await TestRepository.CreateAsync();

        var result = await new Archiver(repo.Repository, new BackupOptions { Paths = [PathBytes.ToDisplay(source.Path)] }, TimeProvider.System).RunAsync(CancellationToken.None);
        Assert.Equal(SnapshotStatus.Complete, result.Snapshot.Status);

        var reopened = await repo.ReopenAsync();
        var snapshot = await reopened.FindSnapshotAsync("latest", SnapshotFilter.All, CancellationToken.None);
        var restore = await new Restorer(reopened, snapshot, new RestoreOptions { Target = PathBytes.ToDisplay(target.Path), Verify = true }).RunAsync(CancellationToken.None);

        Assert.Empty(restore.Errors);
        Assert.Equal(restore.Files, restore.FilesVerified);
        var restoredRoot = PathBytes.Join(target.Path, source.Path.AsSpan(1));
        Assert.Empty(TreeComparer.Compare(source.Path, restoredRoot, compareOwners: Accounts.IsRoot));
    }

    [Fact]
    public async Task Unchanged_tree_is_not_read_again_and_moved_data_is_not_stored_twice()
    {
        using var source = new TempTree();
        RandomTree.Build(source.Root, seed: 7);
        await using var repo = await TestRepository.CreateAsync();
        var options = new BackupOptions { Paths = [PathBytes.ToDisplay(source.Path)] };

        var first = await new Archiver(repo.Repository, options, TimeProvider.System).RunAsync(CancellationToken.None);
        Assert.True(first.Snapshot.Summary!.BytesRead > 0);

        var second = await new Archiver(await repo.ReopenAsync(), options, TimeProvider.System).RunAsync(CancellationToken.None);
        Assert.Equal(0, second.Snapshot.Summary!.BytesRead);
        Assert.Equal(0, second.Snapshot.Summary.FilesNew + second.Snapshot.Summary.FilesChanged);
        // The backed-up directory's tree is identical (its ancestors, such as /tmp, may have changed meanwhile).
        Assert.Equal(await SubtreeAsync(repo.Repository, first.Snapshot.Tree, source.Path), await SubtreeAsync(repo.Repository, second.Snapshot.Tree, source.Path));
        Assert.Equal(first.Snapshot.Id, second.Snapshot.Parent);

        // Moving a file changes its path but not its content: it is read again, but adds no data blobs.
        source.Root.CreateDirectory("moved"u8, Octal.Of(755));
        using (var moved = source.Root.OpenDirectory("moved"u8))
            source.Root.Rename("f1"u8, moved, "f1-renamed"u8);
        var third = await new Archiver(await repo.ReopenAsync(), options, TimeProvider.System).RunAsync(CancellationToken.None);
        Assert.True(third.Snapshot.Summary!.BytesRead >= 0);
        long dataAdded = third.Snapshot.Summary.BytesAdded;
        // Only trees (a few KiB) are new.
        Assert.True(dataAdded < 64 * 1024, $"moved file stored again: {dataAdded} bytes added");
    }

    private static async Task<Cairn.Content.ObjectId> SubtreeAsync(Repository repository, Cairn.Content.ObjectId root, byte[] absolutePath)
    {
        var id = root;
        foreach (var component in PathBytes.Split(absolutePath))
        {
            var tree = await repository.LoadTreeAsync(id, CancellationToken.None);
            id = tree.Find(component)!.Subtree;
        }
        return id;
    }

    [Fact]
    public async Task Dry_run_writes_nothing()
    {
        using var source = new TempTree();
        RandomTree.Build(source.Root, seed: 11, files: 10, large: false);
        await using var repo = await TestRepository.CreateAsync();
        var result = await new Archiver(repo.Repository, new BackupOptions { Paths = [PathBytes.ToDisplay(source.Path)], DryRun = true }, TimeProvider.System)
            .RunAsync(CancellationToken.None);
        Assert.True(result.DryRun);
        Assert.True(result.Snapshot.Summary!.BytesAdded > 0);
        Assert.Equal(0, repo.CountFiles("data"));
        Assert.Equal(0, repo.CountFiles("snapshots"));
        Assert.Equal(0, repo.CountFiles("index"));
    }
}
