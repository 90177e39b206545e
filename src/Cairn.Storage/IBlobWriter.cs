namespace Cairn.Storage;

/// <summary>
/// A blob written in pieces and named only once it is complete. Packs are written this way: their name is the hash
/// of their bytes, and a store that can spool them to a file keeps them out of memory while they fill.
/// </summary>
/// <remarks>
/// Not thread-safe. <see cref="CommitAsync"/> gives the guarantees of <see cref="IBlobStore.PutAsync"/> (atomic,
/// durable, read-after-write). Disposing a writer that was not committed discards everything written.
/// </remarks>
public interface IBlobWriter : IAsyncDisposable
{
    /// <summary>Bytes written so far.</summary>
    long Length { get; }

    /// <summary>Appends <paramref name="data"/>.</summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>Stores everything written as the blob <paramref name="name"/>. Call at most once.</summary>
    Task CommitAsync(BlobName name, CancellationToken cancellationToken);
}

/// <summary>The writer every store gets unless it has a better one: the bytes collect in memory and are put on commit.</summary>
public sealed class BufferedBlobWriter(IBlobStore store) : IBlobWriter
{
    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new();

    /// <inheritdoc/>
    public long Length => _buffer.WrittenCount;

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> data) => System.Buffers.BuffersExtensions.Write(_buffer, data);

    /// <inheritdoc/>
    public Task CommitAsync(BlobName name, CancellationToken cancellationToken) => store.PutAsync(name, _buffer.WrittenMemory, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A writer that only counts: what a dry run uses, so that nothing reaches the store.</summary>
public sealed class DiscardingBlobWriter : IBlobWriter
{
    /// <inheritdoc/>
    public long Length { get; private set; }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> data) => Length += data.Length;

    /// <inheritdoc/>
    public Task CommitAsync(BlobName name, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
