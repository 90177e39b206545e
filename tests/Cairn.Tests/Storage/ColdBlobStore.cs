using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Cairn.Storage;

namespace Cairn.Tests.Storage;

/// <summary>
/// A store double with an archive class, over <see cref="InMemoryBlobStore"/>, behaving as S3 with
/// --data-storage-class GLACIER does: a put whose name says <see cref="StorageTier.Data"/> lands archived (in
/// <see cref="DataStorageClass"/>), everything else hot. Reads of an archived blob raise <see cref="BlobArchivedException"/>
/// (and are recorded). A thaw makes a blob readable after <see cref="ThawPolls"/> more requests, or once
/// <see cref="ThawTime"/> has passed on <see cref="Time"/>. Listings keep saying archived after a thaw, as S3's do; stat
/// tells the truth.
/// </summary>
internal sealed class ColdBlobStore(TimeProvider? time = null) : IBlobStore, IColdStorageStore
{
    private sealed class ColdEntry(string storageClass)
    {
        public string StorageClass { get; } = storageClass;
        public DateTimeOffset? RequestedAt { get; set; }
        public int PollsSinceRequest { get; set; }
        public ThawRequest? Request { get; set; }
    }

    private readonly InMemoryBlobStore _inner = new();
    private readonly ConcurrentDictionary<BlobName, ColdEntry> _cold = new();

    /// <summary>The class data packs get; null keeps them hot (a store without --data-storage-class).</summary>
    public string? DataStorageClass { get; set; } = "GLACIER";

    /// <summary>Requests after the first one at which a thaw is done (0: done at once); null: only <see cref="ThawTime"/> counts.</summary>
    public int? ThawPolls { get; set; } = 2;

    /// <summary>Time after the request at which a thaw is done; null: only <see cref="ThawPolls"/> counts.</summary>
    public TimeSpan? ThawTime { get; set; }

    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    /// <summary>This many thaw requests (the next ones, whatever the blob) fail with a transient error, as a throttled service does.</summary>
    public int TransientThawFailures
    {
        get => Volatile.Read(ref _transientThawFailures);
        set => Volatile.Write(ref _transientThawFailures, value);
    }

    private int _transientThawFailures;

    /// <summary>Every read (get or range) that hit an archived blob.</summary>
    public ConcurrentBag<BlobName> ArchivedReads { get; } = [];

    /// <summary>Every thaw request, in order.</summary>
    public ConcurrentQueue<(BlobName Name, ThawRequest Request)> ThawRequests { get; } = new();

    /// <summary>The tier each put asked for, by name (the last put of a name wins).</summary>
    public ConcurrentDictionary<BlobName, StorageTier> PutTiers { get; } = new();

    /// <summary>Archived blobs deleted.</summary>
    public ConcurrentBag<BlobName> ArchivedDeletes { get; } = [];

    // Distinct per instance: copy refuses to copy a repository onto itself, judged by location.
    public string Location { get; } = "memory-cold:" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Archived blobs whose thaw is not done.</summary>
    public IReadOnlyList<BlobName> Archived => [.. _cold.Keys.Where(n => !IsThawed(n))];

    /// <summary>Every blob in the archive class, thawed or not.</summary>
    public IReadOnlyList<BlobName> InArchiveClass => [.. _cold.Keys];

    /// <summary>Moves a blob to the archive class, as a lifecycle rule would.</summary>
    public void Archive(BlobName name, string storageClass = "GLACIER") => _cold[name] = new ColdEntry(storageClass);

    public async Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await _inner.PutAsync(name, data, cancellationToken);
        PutTiers[name] = name.Tier;
        // The class rule every real store applies: only what the content store marked as a data pack goes cold.
        if (new TransferOptions { DataStorageClass = DataStorageClass }.StorageClassFor(name) is { } storageClass) Archive(name, storageClass);
        else _cold.TryRemove(name, out _);
    }

    public async Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        ThrowIfArchived(name);
        return await _inner.GetAsync(name, cancellationToken);
    }

    public async Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ThrowIfArchived(name);
        await _inner.ReadRangeAsync(name, offset, destination, cancellationToken);
    }

    public async Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var info = await _inner.StatAsync(name, cancellationToken);
        return _cold.TryGetValue(name, out var entry) ? info with { StorageClass = entry.StorageClass, IsArchived = !IsThawed(name) } : info;
    }

    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var info in _inner.ListAsync(kind, cancellationToken))
            yield return _cold.TryGetValue(info.Name, out var entry) ? info with { StorageClass = entry.StorageClass, IsArchived = true } : info;
    }

    public async Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        await _inner.DeleteAsync(name, cancellationToken);
        if (_cold.TryRemove(name, out _)) ArchivedDeletes.Add(name);
    }

    public Task<ThawState> RequestThawAsync(BlobName name, ThawRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Decrement(ref _transientThawFailures) >= 0) throw new StorageException($"injected: throttled thaw of {name}", isTransient: true);
        Interlocked.Increment(ref _transientThawFailures);
        if (!_cold.TryGetValue(name, out var entry)) return Task.FromResult(ThawState.Readable);
        lock (entry)
        {
            if (entry.RequestedAt is null)
            {
                entry.RequestedAt = Time.GetUtcNow();
                entry.Request = request;
                ThawRequests.Enqueue((name, request));
            }
            else
            {
                entry.PollsSinceRequest++;
            }
        }
        return Task.FromResult(IsThawed(name) ? ThawState.Readable : ThawState.InProgress);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private bool IsThawed(BlobName name)
    {
        if (!_cold.TryGetValue(name, out var entry)) return true;
        lock (entry)
        {
            if (entry.RequestedAt is not { } requested) return false;
            return (ThawPolls is { } polls && entry.PollsSinceRequest >= polls)
                || (ThawTime is { } after && Time.GetUtcNow() >= requested + after);
        }
    }

    private void ThrowIfArchived(BlobName name)
    {
        if (IsThawed(name)) return;
        ArchivedReads.Add(name);
        var entry = _cold[name];
        throw new BlobArchivedException(name, entry.StorageClass, entry.RequestedAt is not null);
    }
}
