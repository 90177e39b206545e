using System.Collections.Concurrent;
using Cairn.Storage;

namespace Cairn.Tests.Maintenance;

/// <summary>Passes everything through and records every ranged read of a pack, so tests can tell which blobs were read.</summary>
internal sealed class CountingBlobStore(IBlobStore inner) : IBlobStore
{
    public ConcurrentBag<(string Pack, long Offset, int Length)> PackReads { get; } = [];

    public string Location => inner.Location;

    public void Reset() => PackReads.Clear();

    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => inner.PutAsync(name, data, cancellationToken);

    public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

    public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (name.Kind == BlobKind.Pack) PackReads.Add((name.Name, offset, destination.Length));
        return inner.ReadRangeAsync(name, offset, destination, cancellationToken);
    }

    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default) => inner.StatAsync(name, cancellationToken);

    public IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, CancellationToken cancellationToken = default) => inner.ListAsync(kind, cancellationToken);

    public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
