using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Cairn.Storage;

/// <summary>A thread-safe blob store in memory, for unit tests of the layers above storage.</summary>
public sealed class InMemoryBlobStore : IBlobStore
{
    // Each value is a private copy: callers may reuse their buffers, and must not be able to change a stored blob.
    private readonly ConcurrentDictionary<BlobName, byte[]> _blobs = new();

    /// <inheritdoc/>
    public string Location => "memory:";

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        BlobNameRules.ThrowIfInvalid(name);
        cancellationToken.ThrowIfCancellationRequested();
        _blobs[name] = data.ToArray();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Find(name).AsSpan().ToArray());
    }

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        cancellationToken.ThrowIfCancellationRequested();
        var blob = Find(name);
        if (offset + destination.Length > blob.Length)
        {
            throw new StorageException(
                $"{name} is too short: wanted {destination.Length} bytes at offset {offset}, it has {blob.Length}", isTransient: false);
        }

        blob.AsSpan((int)offset, destination.Length).CopyTo(destination.Span);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new BlobInfo(name, Find(name).Length));
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Enumerating a ConcurrentDictionary is safe while others write; it is a moment-in-time-ish view, as on disk.
        foreach (var (name, data) in _blobs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (name.Kind == kind)
            {
                yield return new BlobInfo(name, data.Length);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _blobs.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private byte[] Find(BlobName name)
    {
        BlobNameRules.ThrowIfInvalid(name);
        return _blobs.TryGetValue(name, out var blob) ? blob : throw new BlobNotFoundException(name);
    }
}
