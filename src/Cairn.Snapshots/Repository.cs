using System.Collections.Concurrent;
using Cairn.Content;
using Cairn.Content.Crypto;
using Cairn.Snapshots.Locking;
using Cairn.Snapshots.Trees;
using Cairn.Storage;

namespace Cairn.Snapshots;

/// <summary>Settings chosen when a repository is created.</summary>
public sealed record RepositoryInitOptions
{
    /// <summary>Key derivation cost for the first password; null calibrates to about half a second on this machine.</summary>
    public KdfParameters? Kdf { get; init; }

    /// <summary>zstd level for blobs.</summary>
    public int CompressionLevel { get; init; } = 3;

    /// <summary>
    /// Target pack size in bytes; null keeps the default (16 MiB). Not offered on the command line: tests set a few
    /// hundred KiB to get many packs out of little data.
    /// </summary>
    public int? PackSize { get; init; }

    /// <summary>
    /// An open repository whose master secret the new one shares (a related repository: the same object ids and chunk
    /// boundaries, so copy between the two needs no translation and each deduplicates against the other's data). Its
    /// chunker sizes, compression level and pack size are taken too, overriding <see cref="CompressionLevel"/>; the
    /// repository id stays fresh. Null: a new random secret.
    /// </summary>
    public Repository? ShareSecretWith { get; init; }
}

/// <summary>
/// Layer 3: an opened repository. Reads and writes trees and snapshots on top of the content store.
/// </summary>
public sealed class Repository : IAsyncDisposable
{
    private Repository(IBlobStore blobs, MasterKey masterKey, string keyId, RepositoryConfig config, ContentStoreOptions? options)
    {
        Blobs = blobs;
        MasterKey = masterKey;
        KeyId = keyId;
        Config = config;
        Content = new ContentStore(blobs, masterKey, config, options);
    }

    /// <summary>The blob store underneath.</summary>
    public IBlobStore Blobs { get; }

    /// <summary>The unlocked master key.</summary>
    public MasterKey MasterKey { get; }

    /// <summary>Id of the key file that the password opened.</summary>
    public string KeyId { get; }

    /// <summary>The repository's settings.</summary>
    public RepositoryConfig Config { get; }

    /// <summary>Blob storage with dedup, compression and encryption.</summary>
    public ContentStore Content { get; }

    /// <summary>The lock this process holds on the repository (see <see cref="RepositoryLock"/>), if any; released on dispose.</summary>
    public RepositoryLease? Lease { get; internal set; }

    /// <summary>True if the store holds a config file (so it is, or claims to be, a repository).</summary>
    public static async Task<bool> ExistsAsync(IBlobStore blobs, CancellationToken cancellationToken) =>
        await blobs.TryStatAsync(BlobName.Config, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Creates a repository: a fresh master key wrapped by <paramref name="password"/>, then the config.</summary>
    public static async Task<Repository> InitAsync(IBlobStore blobs, ReadOnlyMemory<byte> password, RepositoryInitOptions options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(blobs, cancellationToken).ConfigureAwait(false))
            throw new CairnException($"a repository already exists at {blobs.Location}", ExitCode.Usage);
        var now = time.GetUtcNow();
        var config = RepositoryConfig.CreateNew(now);
        config = config with { CompressionLevel = options.CompressionLevel, PackSize = options.PackSize ?? config.PackSize };
        var master = MasterKey.Generate();
        if (options.ShareSecretWith is { } related)
        {
            // The gear table derives from the master secret, but the chunk sizes live in the config: both must match,
            // or a direct backup into the new repository would cut other chunks than the source and not deduplicate.
            master = new MasterKey(related.MasterKey.Secret);
            config = config with { Chunker = related.Config.Chunker, CompressionLevel = related.Config.CompressionLevel, PackSize = related.Config.PackSize };
        }
        var kdf = options.Kdf ?? KdfParameters.ForNewKeyFile(TimeSpan.FromMilliseconds(500));
        // The key file goes first: a config without a key would be a repository nobody can open.
        var keyId = await RepositoryKeys.AddAsync(blobs, master, password, kdf, now, cancellationToken).ConfigureAwait(false);
        await blobs.PutAsync(BlobName.Config, config.Encode(new ObjectCipher(master)), cancellationToken).ConfigureAwait(false);
        return new Repository(blobs, master, keyId, config, null);
    }

    /// <summary>
    /// Opens a repository with a password, takes the lock asked for (before reading the index, so that the index seen is
    /// the one the lock protects) and loads the index unless <paramref name="loadIndex"/> is false.
    /// </summary>
    public static async Task<Repository> OpenAsync(IBlobStore blobs, ReadOnlyMemory<byte> password, CancellationToken cancellationToken,
        ContentStoreOptions? options = null, LockRequest? lockRequest = null, bool loadIndex = true)
    {
        byte[] configBytes;
        try
        {
            configBytes = await blobs.GetAsync(BlobName.Config, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException e)
        {
            throw new CairnException($"there is no repository at {blobs.Location}: create one with 'cairn init', or check -r/CAIRN_REPOSITORY",
                ExitCode.RepositoryNotFound, e);
        }
        RepositoryConfig.ReadVersion(configBytes, blobs.Location);
        var (master, keyId) = await RepositoryKeys.UnlockAsync(blobs, password, cancellationToken).ConfigureAwait(false);
        var config = RepositoryConfig.Decode(configBytes, new ObjectCipher(master), blobs.Location);
        var repository = new Repository(blobs, master, keyId, config, options);
        try
        {
            if (lockRequest is not null)
                await RepositoryLock.AcquireAsync(repository, lockRequest.Kind, lockRequest.Options, lockRequest.Time, cancellationToken).ConfigureAwait(false);
            if (loadIndex) await repository.Content.LoadIndexAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return repository;
    }

    /// <summary>
    /// Loads a tree. Not cached: backup and restore visit each tree once, and keeping every decoded tree of a large
    /// snapshot alive cost more memory (hundreds of bytes per file) than decoding an occasional tree twice costs time.
    /// </summary>
    public async Task<Tree> LoadTreeAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var bytes = await Content.LoadAsync(ObjectType.Tree, id, cancellationToken).ConfigureAwait(false);
        return TreeCodec.Decode(bytes, $"tree {id.ToShortString()}");
    }

    /// <summary>Stores a tree unless an identical one exists.</summary>
    public ValueTask<StoredBlob> SaveTreeAsync(Tree tree, CancellationToken cancellationToken) =>
        Content.StoreAsync(ObjectType.Tree, TreeCodec.Encode(tree), cancellationToken);

    /// <summary>
    /// Writes a snapshot. Call only after <see cref="ContentStore.FlushAsync"/>: the data it names must be indexed first.
    /// Refuses if this process's lock was lost: a prune may have removed data the snapshot names.
    /// </summary>
    public async Task<Snapshot> SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        var id = await SaveSnapshotJsonAsync(snapshot.ToJson(), cancellationToken).ConfigureAwait(false);
        return snapshot with { Id = id };
    }

    /// <summary>
    /// Writes a snapshot's JSON exactly as given and returns its id. Copy between related repositories uses it to keep
    /// the bytes, and so the id; like <see cref="SaveSnapshotAsync"/>, only after the data it names is indexed.
    /// </summary>
    public Task<ObjectId> SaveSnapshotJsonAsync(byte[] json, CancellationToken cancellationToken)
    {
        Lease?.EnsureValid();
        return Content.SaveFileAsync(BlobKind.Snapshot, ObjectType.Snapshot, json, compress: false, cancellationToken);
    }

    /// <summary>Loads one snapshot by full id.</summary>
    public async Task<Snapshot> LoadSnapshotAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var json = await LoadSnapshotJsonAsync(id, cancellationToken).ConfigureAwait(false);
        return Snapshot.FromJson(json, id, $"snapshot {id.ToShortString()}");
    }

    /// <summary>Loads a snapshot's stored JSON, checked against its id but not parsed.</summary>
    public Task<byte[]> LoadSnapshotJsonAsync(ObjectId id, CancellationToken cancellationToken) =>
        Content.LoadFileAsync(new BlobName(BlobKind.Snapshot, id.ToString()), ObjectType.Snapshot, cancellationToken);

    /// <summary>
    /// Removes a snapshot (its file in snapshots/); the data it alone referenced stays until a prune. Removing a
    /// snapshot that is already gone succeeds.
    /// </summary>
    public Task DeleteSnapshotAsync(ObjectId id, CancellationToken cancellationToken)
    {
        // A deleter whose lease lapsed may no longer own the repository: it must not remove anything.
        Lease?.EnsureValid();
        return Blobs.DeleteAsync(new BlobName(BlobKind.Snapshot, id.ToString()), cancellationToken);
    }

    /// <summary>Loads every snapshot that passes the filter, oldest first.</summary>
    public async Task<List<Snapshot>> ListSnapshotsAsync(SnapshotFilter filter, CancellationToken cancellationToken)
    {
        var ids = new List<ObjectId>();
        await foreach (var info in Blobs.ListAsync(BlobKind.Snapshot, cancellationToken).ConfigureAwait(false))
            if (ObjectId.TryParse(info.Name.Name, out var id)) ids.Add(id);
        var snapshots = new ConcurrentBag<Snapshot>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            var s = await LoadSnapshotAsync(id, ct).ConfigureAwait(false);
            if (filter.Matches(s)) snapshots.Add(s);
        }).ConfigureAwait(false);
        return [.. snapshots.OrderBy(s => s.Time).ThenBy(s => s.Id)];
    }

    /// <summary>
    /// Finds one snapshot by "latest" (newest that passes the filter) or by a unique prefix of its id.
    /// </summary>
    public async Task<Snapshot> FindSnapshotAsync(string reference, SnapshotFilter filter, CancellationToken cancellationToken)
    {
        if (reference == "latest")
        {
            var all = await ListSnapshotsAsync(filter, cancellationToken).ConfigureAwait(false);
            return all.Count > 0 ? all[^1]
                : throw new CairnException("there is no snapshot" + (filter == SnapshotFilter.All ? "" : " matching the given filters") + " in the repository", ExitCode.NotFound);
        }
        var prefix = reference.ToLowerInvariant();
        if (prefix.Length == 0 || !prefix.All(char.IsAsciiHexDigitLower))
            throw new CairnException($"'{reference}' is not a snapshot id: use 'latest' or a hex id prefix from 'cairn snapshots'", ExitCode.Usage);
        var matches = new List<ObjectId>();
        await foreach (var info in Blobs.ListAsync(BlobKind.Snapshot, cancellationToken).ConfigureAwait(false))
            if (info.Name.Name.StartsWith(prefix, StringComparison.Ordinal) && ObjectId.TryParse(info.Name.Name, out var id)) matches.Add(id);
        return matches.Count switch
        {
            1 => await LoadSnapshotAsync(matches[0], cancellationToken).ConfigureAwait(false),
            0 => throw new CairnException($"no snapshot has an id starting with '{reference}'", ExitCode.NotFound),
            _ => throw new CairnException($"'{reference}' matches {matches.Count} snapshots: give more digits", ExitCode.Usage),
        };
    }

    /// <summary>Waits for pending uploads, then releases the lock, so the lock covers every write.</summary>
    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync().ConfigureAwait(false);
        if (Lease is { } lease) await lease.DisposeAsync().ConfigureAwait(false);
    }

    internal void Release(RepositoryLease lease)
    {
        if (ReferenceEquals(Lease, lease)) Lease = null;
    }
}
