using System.Runtime.InteropServices;

namespace Cairn.Storage;

/// <summary>
/// A decorator that caps the upload bandwidth of everything put through it (--limit-upload), by pacing the stream the
/// wrapped store reads while it uploads. Reads, listings and deletes pass through unchanged.
/// </summary>
public sealed class UploadLimitedBlobStore(IBlobStore inner, BandwidthLimiter limiter) : IBlobStore
{
    /// <inheritdoc/>
    public string Location => inner.Location;

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var stream = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        return PutAsync(name, stream, cancellationToken);
    }

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, Stream content, CancellationToken cancellationToken = default) =>
        inner.PutAsync(name, new ThrottledReadStream(content, limiter), cancellationToken);

    /// <inheritdoc/>
    public IBlobWriter CreateWriter(BlobKind kind) => new SpoolingBlobWriter(this);

    /// <inheritdoc/>
    public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        inner.ReadRangeAsync(name, offset, destination, cancellationToken);

    /// <inheritdoc/>
    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default) => inner.StatAsync(name, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, CancellationToken cancellationToken = default) => inner.ListAsync(kind, cancellationToken);

    /// <inheritdoc/>
    public Task<AbandonedWrites> DeleteAbandonedWritesAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        inner.DeleteAbandonedWritesAsync(olderThan, cancellationToken);

    /// <inheritdoc/>
    public T? Feature<T>() where T : class => this as T ?? inner.Feature<T>();

    /// <inheritdoc/>
    public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
