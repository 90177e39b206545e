using Cairn.Storage;

namespace Cairn.Tests.Storage;

public sealed class SpoolingBlobWriterTests : IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "cairn-spool-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_spool)) Directory.Delete(_spool, recursive: true);
    }

    [Fact]
    public async Task Commit_uploads_every_piece_and_leaves_no_spool_file()
    {
        var store = new InMemoryBlobStore();
        var data = new byte[300_000];
        new Random(7).NextBytes(data);
        var name = new BlobName(BlobKind.Pack, new string('a', 64));
        await using (var writer = new SpoolingBlobWriter(store, _spool))
        {
            writer.Write(data.AsSpan(0, 1000));
            writer.Write(data.AsSpan(1000));
            Assert.Equal(data.Length, writer.Length);
            Assert.Single(Directory.GetFiles(_spool));
            await writer.CommitAsync(name, CancellationToken.None);
        }

        Assert.Equal(data, await store.GetAsync(name));
        Assert.Empty(Directory.GetFiles(_spool));
    }

    [Fact]
    public async Task A_writer_disposed_without_commit_stores_nothing_and_deletes_its_file()
    {
        var store = new InMemoryBlobStore();
        await using (var writer = new SpoolingBlobWriter(store, _spool))
        {
            writer.Write(new byte[1000]);
        }

        Assert.Empty(Directory.GetFiles(_spool));
        await foreach (var _ in store.ListAsync(BlobKind.Pack)) Assert.Fail("nothing should be stored");
    }
}
