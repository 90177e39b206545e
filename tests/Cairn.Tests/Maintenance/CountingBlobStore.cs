using System.Collections.Concurrent;
using Cairn.Storage;

namespace Cairn.Tests.Maintenance;

/// <summary>
/// Passes everything through and records every ranged read of a pack, so tests can tell which blobs were read; can
/// also fail pack uploads after a number of them, as an interrupted run would stop.
/// </summary>
internal sealed class CountingBlobStore(IBlobStore inner) : IBlobStore
{
    public ConcurrentBag<(string Pack, long Offset, int Length)> PackReads { get; } = [];

    public string Location => inner.Location;

    public void Reset() => PackReads.Clear();

    /// <summary>When set, pack uploads after this many fail with a permanent storage error.</summary>
    public int? PackPutsBeforeFailure { get; set; }

    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (name.Kind == BlobKind.Pack && PackPutsBeforeFailure is { } left)
        {
            if (left == 0) throw new StorageException($"injected: upload of {name} failed", isTransient: false);
            PackPutsBeforeFailure = left - 1;
        }
        return inner.PutAsync(name, data, cancellationToken);
    }

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
