using Cairn.Content;
using Cairn.Content.Crypto;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Tests.Content;

/// <summary>A pack write that fails part-way must never be followed by a pack whose offsets no longer match its header.</summary>
public sealed class ContentStoreWriteFailureTests
{
    [Fact]
    public async Task After_a_failed_pack_write_the_store_takes_no_more_blobs_and_uploads_no_pack()
    {
        var inner = new InMemoryBlobStore();
        var store = new PackWriteFailingStore(inner, failOnWrite: 2);
        await using var repository = await Repository.InitAsync(store, "pw"u8.ToArray(),
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests, PackSize = 64 << 10 }, TimeProvider.System, CancellationToken.None);
        var content = repository.Content;

        await content.StoreAsync(ObjectType.Data, Random(1), CancellationToken.None);
        // The second blob's write fails after half of it reached the pack file, as a disk that fills up would.
        await Assert.ThrowsAsync<StorageFullException>(() => content.StoreAsync(ObjectType.Data, Random(2), CancellationToken.None).AsTask());
        // Had the store carried on, this blob would land at an offset the pack header does not say.
        await Assert.ThrowsAsync<StorageFullException>(() => content.StoreAsync(ObjectType.Data, Random(3), CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<StorageFullException>(() => content.FlushAsync(CancellationToken.None));

        await foreach (var pack in inner.ListAsync(BlobKind.Pack)) Assert.Fail($"a pack was stored after the failed write: {pack.Name}");
        await foreach (var index in inner.ListAsync(BlobKind.Index)) Assert.Fail($"an index file was stored: {index.Name}");
    }

    private static byte[] Random(int seed)
    {
        var bytes = new byte[20_000];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Passes everything through, but the n-th write of any pack writer stores half its bytes and fails.</summary>
    private sealed class PackWriteFailingStore(IBlobStore inner, int failOnWrite) : IBlobStore
    {
        private readonly int _failOnWrite = failOnWrite;
        private int _writes;

        public string Location => inner.Location;
        public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => inner.PutAsync(name, data, cancellationToken);
        public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);
        public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
            inner.ReadRangeAsync(name, offset, destination, cancellationToken);
        public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default) => inner.StatAsync(name, cancellationToken);
        public IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, CancellationToken cancellationToken = default) => inner.ListAsync(kind, cancellationToken);
        public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, cancellationToken);
        public ValueTask DisposeAsync() => inner.DisposeAsync();
        public IBlobWriter CreateWriter(BlobKind kind) => new Writer(this, new BufferedBlobWriter(inner));

        private sealed class Writer(PackWriteFailingStore owner, IBlobWriter target) : IBlobWriter
        {
            public long Length => target.Length;

            public void Write(ReadOnlySpan<byte> data)
            {
                if (Interlocked.Increment(ref owner._writes) != owner._failOnWrite)
                {
                    target.Write(data);
                    return;
                }
                target.Write(data[..(data.Length / 2)]);
                throw new StorageFullException("the test's pack writer");
            }

            public Task CommitAsync(BlobName name, CancellationToken cancellationToken) => target.CommitAsync(name, cancellationToken);

            public ValueTask DisposeAsync() => target.DisposeAsync();
        }
    }
}
