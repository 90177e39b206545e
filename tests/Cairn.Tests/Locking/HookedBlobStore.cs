using System.Runtime.CompilerServices;
using Cairn.Storage;

namespace Cairn.Tests.Locking;

/// <summary>
/// A store decorator whose puts can be made to fail, or to pause, while a test runs; unlike FaultInjectingBlobStore,
/// whose faults are fixed when it is built, it can turn failures on at a chosen moment.
/// </summary>
internal sealed class HookedBlobStore(IBlobStore inner) : IBlobStore
{
    /// <summary>Puts of blobs for which this returns true fail with a transient storage error.</summary>
    public Func<BlobName, bool> FailPut { get; set; } = _ => false;

    /// <summary>Awaited after every successful put (e.g. a barrier that makes two writers list only after both wrote).</summary>
    public Func<BlobName, Task> AfterPut { get; set; } = _ => Task.CompletedTask;

    /// <summary>Awaited after a listing was taken from the store and before it is handed out.</summary>
    public Func<BlobKind, Task> AfterList { get; set; } = _ => Task.CompletedTask;

    public string Location => inner.Location;

    public async Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (FailPut(name)) throw new StorageException($"test: put of {name} refused", isTransient: true);
        await inner.PutAsync(name, data, cancellationToken);
        await AfterPut(name);
    }

    public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

    public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        inner.ReadRangeAsync(name, offset, destination, cancellationToken);

    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default) => inner.StatAsync(name, cancellationToken);

    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var listing = new List<BlobInfo>();
        await foreach (var info in inner.ListAsync(kind, cancellationToken)) listing.Add(info);
        await AfterList(kind);
        foreach (var info in listing) yield return info;
    }

    public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
