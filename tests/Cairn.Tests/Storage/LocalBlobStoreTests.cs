using System.Diagnostics;
using Cairn.Storage;

namespace Cairn.Tests.Storage;

/// <summary>What the local store promises beyond the shared contract: no leftovers, private modes, full disks.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalBlobStoreTests : IDisposable
{
    private readonly string _parent = Path.Combine(Path.GetTempPath(), "cairn-local-" + Guid.NewGuid().ToString("N"));

    private string Root => Path.Combine(_parent, "repo");

    public void Dispose()
    {
        if (Directory.Exists(_parent))
        {
            Directory.Delete(_parent, recursive: true);
        }
    }

    [Fact]
    public async Task A_cancelled_put_leaves_no_temp_file()
    {
        await using var store = new LocalBlobStore(Root);
        await store.PutAsync(new BlobName(BlobKind.Pack, "ab01"), new byte[10]);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => store.PutAsync(new BlobName(BlobKind.Pack, "ab02"), new byte[1 << 20], cancelled.Token));

        Assert.Equal(["ab01"], FilesUnder(Root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_failed_put_leaves_no_temp_file_and_no_blob()
    {
        await using var store = new LocalBlobStore(Root);
        var name = new BlobName(BlobKind.Index, "cafe");
        // A directory squatting on the final name makes the rename fail after the temp file was written.
        Directory.CreateDirectory(Path.Combine(Root, "index", "cafe"));

        var e = await Assert.ThrowsAnyAsync<StorageException>(() => store.PutAsync(name, new byte[100]));

        Assert.IsNotType<BlobNotFoundException>(e);
        Assert.Empty(FilesUnder(Root));
    }

    [Fact]
    public async Task A_writer_spools_to_one_temp_file_and_leaves_nothing_when_discarded()
    {
        await using var store = new LocalBlobStore(Root);
        await using (var writer = store.CreateWriter(BlobKind.Pack))
        {
            writer.Write(new byte[3 << 20]);
            // The pack is on disk while it fills (that is the point: not in memory), under a name listings skip.
            var temp = Assert.Single(FilesUnder(Root));
            Assert.StartsWith(".tmp-", Path.GetFileName(temp), StringComparison.Ordinal);
            Assert.Equal(3 << 20, new FileInfo(temp).Length);
        }

        Assert.Empty(FilesUnder(Root));
    }

    [Fact]
    public async Task A_committed_writer_is_a_private_blob_at_its_path_with_no_temp_file_left()
    {
        await using var store = new LocalBlobStore(Root);
        await using (var writer = store.CreateWriter(BlobKind.Pack))
        {
            writer.Write([1, 2, 3]);
            await writer.CommitAsync(new BlobName(BlobKind.Pack, "ab03"), CancellationToken.None);
        }

        var file = Assert.Single(FilesUnder(Root));
        Assert.Equal(Path.Combine(Root, "data", "ab", "ab03"), file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task Abandoned_temp_files_older_than_the_limit_are_deleted_and_younger_ones_and_blobs_stay()
    {
        await using var store = new LocalBlobStore(Root);
        await store.PutAsync(new BlobName(BlobKind.Pack, "ab04"), new byte[10]);
        await store.PutAsync(new BlobName(BlobKind.Index, "cd05"), new byte[10]);
        // What killed writers leave: a half-filled pack in data/, a put's temp file in data/ab/ and in index/.
        string[] old = [Path.Combine(Root, "data", ".tmp-0001"), Path.Combine(Root, "data", "ab", ".tmp-0002"), Path.Combine(Root, "index", ".tmp-0003")];
        foreach (var file in old)
        {
            File.WriteAllBytes(file, new byte[1000]);
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));
        }
        var young = Path.Combine(Root, "data", ".tmp-0004");
        File.WriteAllBytes(young, new byte[7]);

        var removed = await store.DeleteAbandonedWritesAsync(TimeSpan.FromHours(1), CancellationToken.None);

        Assert.Equal(new AbandonedWrites(3, 3000), removed);
        Assert.Equal([young, Path.Combine(Root, "data", "ab", "ab04"), Path.Combine(Root, "index", "cd05")], FilesUnder(Root).Order());
    }

    [Fact]
    public async Task Files_are_private_to_the_owner()
    {
        await using var store = new LocalBlobStore(Root);

        await store.PutAsync(new BlobName(BlobKind.Pack, "3fa2"), new byte[10]);
        await store.PutAsync(BlobName.Config, new byte[10]);

        var rwx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(rwx, File.GetUnixFileMode(Root));
        Assert.Equal(rwx, File.GetUnixFileMode(Path.Combine(Root, "data")));
        Assert.Equal(rwx, File.GetUnixFileMode(Path.Combine(Root, "data", "3f")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Root, "data", "3f", "3fa2")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Root, "config")));
    }

    [Fact]
    public async Task Blobs_live_at_their_repository_paths()
    {
        await using var store = new LocalBlobStore(Root);

        await store.PutAsync(new BlobName(BlobKind.Pack, "3fa2"), new byte[3]);
        await store.PutAsync(new BlobName(BlobKind.Snapshot, "77"), new byte[4]);

        Assert.Equal(3, new FileInfo(Path.Combine(Root, "data", "3f", "3fa2")).Length);
        Assert.Equal(4, new FileInfo(Path.Combine(Root, "snapshots", "77")).Length);
    }

    [Fact]
    public async Task A_missing_root_reads_as_an_empty_store()
    {
        await using var store = new LocalBlobStore(Root);

        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.GetAsync(BlobName.Config));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.StatAsync(new BlobName(BlobKind.Pack, "00aa")));
        await foreach (var _ in store.ListAsync(BlobKind.Pack))
        {
            Assert.Fail("a missing root lists nothing");
        }
    }

    [Fact]
    public async Task Listings_skip_leftover_temp_files()
    {
        await using var store = new LocalBlobStore(Root);
        await store.PutAsync(new BlobName(BlobKind.Pack, "ab01"), new byte[10]);
        await store.PutAsync(new BlobName(BlobKind.Lock, "01"), new byte[10]);
        // What a crash between creating and renaming a temp file leaves behind.
        File.WriteAllBytes(Path.Combine(Root, "data", "ab", ".tmp-0011223344556677"), new byte[5]);
        File.WriteAllBytes(Path.Combine(Root, "locks", ".tmp-8899aabbccddeeff"), new byte[5]);

        Assert.Equal(["ab01"], await Names(store, BlobKind.Pack));
        Assert.Equal(["01"], await Names(store, BlobKind.Lock));
    }

    [Fact]
    public async Task A_full_disk_raises_storage_full_and_leaves_no_partial_blob()
    {
        Directory.CreateDirectory(Root);
        Mount($"-t tmpfs -o size=1m tmpfs {Root}");
        try
        {
            await using var store = new LocalBlobStore(Root);
            var small = new BlobName(BlobKind.Pack, "aa01");
            await store.PutAsync(small, new byte[1000]);
            var big = new BlobName(BlobKind.Pack, "aa02");

            var e = await Assert.ThrowsAsync<StorageFullException>(() => store.PutAsync(big, new byte[2 << 20]));

            Assert.Equal(ExitCode.StorageFull, e.ExitCode);
            Assert.False(e.IsTransient);
            await Assert.ThrowsAsync<BlobNotFoundException>(() => store.StatAsync(big));
            Assert.Equal(["aa01"], FilesUnder(Root).Select(Path.GetFileName));
            // The failed write gave its space back, so the store is still usable.
            await store.PutAsync(new BlobName(BlobKind.Pack, "aa03"), new byte[1000]);
        }
        finally
        {
            Mount($"-l {Root}", command: "umount");
        }
    }

    private static void Mount(string arguments, string command = "mount")
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not start {command}");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(
            process.ExitCode == 0,
            $"`{command} {arguments}` failed ({process.ExitCode}: {error.Trim()}); this test needs root and tmpfs to fill a real disk");
    }

    private static List<string> FilesUnder(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)];

    private static async Task<List<string>> Names(IBlobStore store, BlobKind kind)
    {
        var names = new List<string>();
        await foreach (var info in store.ListAsync(kind))
        {
            names.Add(info.Name.Name);
        }

        return names;
    }
}
