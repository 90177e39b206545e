using System.Buffers;
using System.Collections.Concurrent;
using Cairn.Content.Chunking;
using Cairn.Content.Crypto;
using Cairn.Content.Index;
using Cairn.Content.Packs;
using Cairn.Storage;

namespace Cairn.Content;

/// <summary>The result of storing one blob: its id, whether it was new, and the bytes it added to the repository.</summary>
public readonly record struct StoredBlob(ObjectId Id, bool IsNew, long StoredLength);

/// <summary>Tunables of a content store that are not part of the repository format.</summary>
public sealed record ContentStoreOptions
{
    /// <summary>How many finished packs may be uploading at once (each holds one pack in memory).</summary>
    public int MaxConcurrentUploads { get; init; } = 1;

    /// <summary>
    /// Write an index file every this many new packs, so an interrupted long backup keeps most of its work. Small, so
    /// that neither the entries waiting for their index file nor the file's encoding (payload, compressed and sealed
    /// copies: about 140 bytes per blob at once) grow with the size of the backup: 16 packs of about 16 MiB hold a few
    /// thousand blobs, where 128 packs of small files meant an 80,000-entry file and 10 MB more at the end of a backup.
    /// </summary>
    public int PacksPerIndexFile { get; init; } = 16;
}

/// <summary>
/// Layer 2: stores and loads deduplicated, compressed, encrypted blobs in packs, and keeps the index.
/// Thread-safe for concurrent <see cref="StoreAsync(ObjectType, ObjectId, ReadOnlyMemory{byte}, CancellationToken)"/> calls.
/// Write order: a pack is uploaded before any index names it; an index file is written before any snapshot uses it.
/// </summary>
public sealed class ContentStore : IAsyncDisposable
{
    private readonly ContentStoreOptions _options;
    private readonly ConcurrentDictionary<ObjectId, byte> _pending = new();
    private readonly ConcurrentBag<BlobCodec> _codecs = [];
    // Encoding is CPU-bound, so more encoders than cores buy nothing, and each codec keeps chunk-sized scratch buffers
    // for good. Without this bound, workers and directory completions on blocked thread-pool threads made six codecs
    // (26 MB) on a two-core machine.
    private readonly SemaphoreSlim _encoderSlots = new(Environment.ProcessorCount + 1);
    private readonly Lock _packLock = new();
    private readonly SemaphoreSlim _uploadSlots;
    private readonly SemaphoreSlim _indexWriteLock = new(1, 1);
    private readonly List<Task> _uploads = [];
    private readonly List<(ObjectId, IReadOnlyList<BlobEntry>)> _unindexed = [];
    // Trees and data fill separate packs, so a pack of data holds no tree: stores may put data packs in an archive class
    // (StorageTier.Data) while every tree, which backup, ls, diff and prune's planning read, stays in a hot pack.
    private PackBuilder? _dataPack;
    private PackBuilder? _treePack;
    private readonly List<PackBuilder> _abandonedPacks = [];
    private Exception? _uploadFailure;
    private long _blobsAdded, _rawBytesAdded, _storedBytesAdded, _packsWritten;

    /// <summary>Creates a content store over an opened repository.</summary>
    public ContentStore(IBlobStore blobs, MasterKey key, RepositoryConfig config, ContentStoreOptions? options = null)
    {
        Blobs = blobs;
        Config = config;
        Cipher = new ObjectCipher(key);
        Hasher = new ObjectIdHasher(key);
        Chunker = new Chunker(key.ChunkerKey, config.Chunker.ToParameters());
        _options = options ?? new ContentStoreOptions();
        _uploadSlots = new SemaphoreSlim(_options.MaxConcurrentUploads, _options.MaxConcurrentUploads);
    }

    /// <summary>The blob store underneath.</summary>
    public IBlobStore Blobs { get; }

    /// <summary>The repository's settings.</summary>
    public RepositoryConfig Config { get; }

    /// <summary>Seals and opens objects with the repository's key.</summary>
    public ObjectCipher Cipher { get; }

    /// <summary>Computes keyed object ids.</summary>
    public ObjectIdHasher Hasher { get; }

    /// <summary>Cuts content into chunks, with the repository's secret gear table.</summary>
    public Chunker Chunker { get; }

    /// <summary>Where every indexed blob lives.</summary>
    public RepositoryIndex Index { get; } = new();

    /// <summary>
    /// When set, blobs are hashed, compressed, encrypted and counted as usual, but no pack or index is written:
    /// what a dry-run backup needs to report what it would add.
    /// </summary>
    public bool DiscardWrites { get; set; }

    /// <summary>New blobs stored by this instance.</summary>
    public long BlobsAdded => Interlocked.Read(ref _blobsAdded);

    /// <summary>Plaintext bytes of the new blobs.</summary>
    public long RawBytesAdded => Interlocked.Read(ref _rawBytesAdded);

    /// <summary>Bytes the new blobs occupy in packs (compressed and sealed).</summary>
    public long StoredBytesAdded => Interlocked.Read(ref _storedBytesAdded);

    /// <summary>Packs uploaded by this instance.</summary>
    public long PacksWritten => Interlocked.Read(ref _packsWritten);

    /// <summary>Reads every index file into memory.</summary>
    public Task LoadIndexAsync(CancellationToken cancellationToken) => ReadIndexFilesAsync((_, file) => Index.Add(file), null, cancellationToken);

    /// <summary>
    /// Reads and decodes every index file, in parallel, handing each to <paramref name="onFile"/> (called concurrently).
    /// A file that is damaged or vanished goes to <paramref name="onDamaged"/>; with no callback the error propagates.
    /// Nothing is added to <see cref="Index"/>: callers that want it there add the files themselves.
    /// </summary>
    public async Task ReadIndexFilesAsync(Action<BlobName, IndexFile> onFile, Action<BlobName, CairnException>? onDamaged, CancellationToken cancellationToken)
    {
        var names = new List<BlobName>();
        await foreach (var info in Blobs.ListAsync(BlobKind.Index, cancellationToken).ConfigureAwait(false)) names.Add(info.Name);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            IndexFile file;
            try
            {
                var payload = await LoadFileAsync(name, ObjectType.Index, ct).ConfigureAwait(false);
                file = IndexFile.Decode(payload, name.ToString());
            }
            catch (Exception e) when (onDamaged is not null && e is IntegrityException or BlobNotFoundException)
            {
                onDamaged(name, (CairnException)e);
                return;
            }
            onFile(name, file);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a pack's header from its tail (trailer, then sealed header; one read when the header is small), so the
    /// index can be rebuilt or checked without reading the blobs. <paramref name="packLength"/> comes from a listing.
    /// </summary>
    public async Task<List<BlobEntry>> ReadPackHeaderAsync(ObjectId packId, long packLength, CancellationToken cancellationToken)
    {
        const int Guess = 64 * 1024; // a header of ~1500 blobs; most packs' headers are far smaller
        var description = $"pack {packId.ToShortString()}";
        var tail = new byte[(int)Math.Min(packLength, Guess)];
        await ReadPackRangeAsync(packId, packLength - tail.Length, tail, cancellationToken).ConfigureAwait(false);
        var (start, length) = PackFormat.LocateHeader(tail, packLength, description);
        long tailStart = packLength - tail.Length;
        if (start >= tailStart) return PackFormat.OpenHeader(tail.AsSpan((int)(start - tailStart), length), start, Cipher, description);
        var sealedHeader = new byte[length];
        await ReadPackRangeAsync(packId, start, sealedHeader, cancellationToken).ConfigureAwait(false);
        return PackFormat.OpenHeader(sealedHeader, start, Cipher, description);
    }

    /// <summary>True when the blob is stored, or is being stored by this instance.</summary>
    public bool Contains(in ObjectId id) => Index.Contains(id) || _pending.ContainsKey(id);

    /// <summary>Hashes and stores a blob, unless it is already stored.</summary>
    public ValueTask<StoredBlob> StoreAsync(ObjectType type, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken) =>
        StoreAsync(type, Hasher.Compute(plaintext.Span), plaintext, cancellationToken);

    /// <summary>
    /// Stores a blob whose id the caller already computed, unless it is already stored. Compression, encryption and
    /// verification run on the calling thread, so callers get parallelism by calling from several workers.
    /// </summary>
    public async ValueTask<StoredBlob> StoreAsync(ObjectType type, ObjectId id, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        ThrowIfUploadFailed();
        if (Index.Contains(id) || !_pending.TryAdd(id, 0)) return new StoredBlob(id, false, 0);

        PackBuilder? full;
        int storedLength;
        BlobCodec codec;
        try
        {
            codec = await RentEncoderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pending.TryRemove(id, out _);
            throw;
        }
        try
        {
            var sealedBlob = codec.Encode(type, id, plaintext.Span, out var flags);
            storedLength = sealedBlob.Length;
            full = Append(type, flags, id, sealedBlob, plaintext.Length);
        }
        catch
        {
            _pending.TryRemove(id, out _);
            throw;
        }
        finally
        {
            ReturnEncoder(codec);
        }
        if (full is not null) await StartUploadAsync(full, cancellationToken).ConfigureAwait(false);
        return new StoredBlob(id, true, storedLength);
    }

    /// <summary>
    /// Stores a blob that is already compressed and sealed, as read from <paramref name="source"/>, unless it is already
    /// stored. Prune and copy move blobs between packs this way: the sealing binds type and id, not the pack, so the bytes
    /// stay valid. They are opened, decompressed and re-hashed first, as for every pack write, so a damaged blob is never
    /// copied (the <see cref="IntegrityException"/> names it and its source pack).
    /// </summary>
    public async ValueTask<StoredBlob> StoreSealedAsync(BlobLocation source, ReadOnlyMemory<byte> sealedBlob, CancellationToken cancellationToken)
    {
        ThrowIfUploadFailed();
        var entry = source.Entry;
        if (Index.Contains(entry.Id) || !_pending.TryAdd(entry.Id, 0)) return new StoredBlob(entry.Id, false, 0);
        PackBuilder? full;
        BlobCodec codec;
        try
        {
            codec = await RentEncoderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pending.TryRemove(entry.Id, out _);
            throw;
        }
        try
        {
            codec.Verify(entry, sealedBlob.Span, Describe(source));
            full = Append(entry.Type, entry.Flags, entry.Id, sealedBlob.Span, (int)entry.RawLength);
        }
        catch
        {
            _pending.TryRemove(entry.Id, out _);
            throw;
        }
        finally
        {
            ReturnEncoder(codec);
        }
        if (full is not null) await StartUploadAsync(full, cancellationToken).ConfigureAwait(false);
        return new StoredBlob(entry.Id, true, sealedBlob.Length);
    }

    /// <summary>Adds a verified sealed blob to the pack being filled; returns that pack when it is full (to upload).</summary>
    private PackBuilder? Append(ObjectType type, BlobFlags flags, in ObjectId id, ReadOnlySpan<byte> sealedBlob, int rawLength)
    {
        PackBuilder? full = null;
        lock (_packLock)
        {
            ref var pack = ref type == ObjectType.Tree ? ref _treePack : ref _dataPack;
            // Packs stream into the store's writer (a temp file for local stores), so a filling pack costs no memory.
            pack ??= new PackBuilder(DiscardWrites ? new DiscardingBlobWriter() : Blobs.CreateWriter(BlobKind.Pack));
            try
            {
                pack.Append(type, flags, id, sealedBlob, rawLength);
            }
            catch (Exception e)
            {
                // A failed write (a full disk) may have left part of the blob in the pack, so later offsets would not
                // match the header: the pack, and the blobs already in it, are lost. The store takes no more blobs, so
                // no snapshot can name them; the pack's temp file goes when the store is disposed.
                _abandonedPacks.Add(pack);
                pack = null;
                Interlocked.CompareExchange(ref _uploadFailure, e, null);
                throw;
            }
            if (pack.Length >= Config.PackSize)
            {
                full = pack;
                pack = null;
            }
        }
        Interlocked.Increment(ref _blobsAdded);
        Interlocked.Add(ref _rawBytesAdded, rawLength);
        Interlocked.Add(ref _storedBytesAdded, sealedBlob.Length);
        return full;
    }

    /// <summary>Uploads the pack being filled, waits for every upload, and writes an index file for the new packs.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await UploadAllAsync(cancellationToken).ConfigureAwait(false);
        await WriteIndexAsync(force: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads the pack being filled and waits for every upload, but writes no index file: returns the packs that no
    /// index file names yet, for the caller to list in its own (prune writes one index for kept and new packs together).
    /// Use with <see cref="ContentStoreOptions.PacksPerIndexFile"/> set to <see cref="int.MaxValue"/>, else index files
    /// may already have been written for some packs along the way.
    /// </summary>
    public async Task<IReadOnlyList<(ObjectId PackId, IReadOnlyList<BlobEntry> Blobs)>> FlushPacksAsync(CancellationToken cancellationToken)
    {
        await UploadAllAsync(cancellationToken).ConfigureAwait(false);
        lock (_unindexed)
        {
            var packs = _unindexed.ToList();
            _unindexed.Clear();
            return packs;
        }
    }

    private async Task UploadAllAsync(CancellationToken cancellationToken)
    {
        PackBuilder?[] last;
        lock (_packLock)
        {
            last = [_dataPack is { Count: > 0 } ? _dataPack : null, _treePack is { Count: > 0 } ? _treePack : null];
            _dataPack = _treePack = null;
        }
        foreach (var pack in last)
            if (pack is not null) await StartUploadAsync(pack, cancellationToken).ConfigureAwait(false);
        Task[] uploads;
        lock (_uploads) uploads = [.. _uploads];
        try
        {
            await Task.WhenAll(uploads).ConfigureAwait(false);
        }
        catch when (_uploadFailure is not null)
        {
            // The first failure is rethrown below with its own type.
        }
        ThrowIfUploadFailed();
    }

    private async Task StartUploadAsync(PackBuilder pack, CancellationToken cancellationToken)
    {
        await _uploadSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var upload = Task.Run(async () =>
        {
            try
            {
                var packId = pack.Finish(Cipher);
                if (DiscardWrites) return;
                await pack.CommitAsync(PackName(packId) with { Tier = TierOf(pack.Entries) }, cancellationToken).ConfigureAwait(false);
                CrashPoints.Reached(CrashPoints.PackUploaded);
                Interlocked.Increment(ref _packsWritten);
                var entries = pack.Entries;
                Index.AddPack(packId, entries);
                foreach (var e in entries) _pending.TryRemove(e.Id, out _);
                bool due;
                lock (_unindexed)
                {
                    _unindexed.Add((packId, entries));
                    due = _unindexed.Count >= _options.PacksPerIndexFile;
                }
                if (due) await WriteIndexAsync(force: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _uploadFailure, e, null);
                throw;
            }
            finally
            {
                await pack.DisposeAsync().ConfigureAwait(false);
                _uploadSlots.Release();
            }
        }, CancellationToken.None);
        lock (_uploads)
        {
            _uploads.RemoveAll(t => t.IsCompletedSuccessfully);
            _uploads.Add(upload);
        }
    }

    private async Task WriteIndexAsync(bool force, CancellationToken cancellationToken)
    {
        await _indexWriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var file = new IndexFile();
            lock (_unindexed)
            {
                if (_unindexed.Count == 0 || (!force && _unindexed.Count < _options.PacksPerIndexFile)) return;
                file.Packs.AddRange(_unindexed);
                _unindexed.Clear();
            }
            await SaveFileAsync(BlobKind.Index, ObjectType.Index, file.Encode(), compress: true, cancellationToken).ConfigureAwait(false);
            CrashPoints.Reached(CrashPoints.IndexWritten);
        }
        finally
        {
            _indexWriteLock.Release();
        }
    }

    private void ThrowIfUploadFailed()
    {
        if (_uploadFailure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>Loads one blob's plaintext.</summary>
    public async Task<byte[]> LoadAsync(ObjectType type, ObjectId id, CancellationToken cancellationToken)
    {
        if (!Index.TryGet(id, out var location) || location.Entry.Type != type)
            throw new IntegrityException($"{type.ToString().ToLowerInvariant()} blob {id}", "it is not in any pack of the index (data is missing from the repository)");
        var entry = location.Entry;
        var sealedBlob = LargeBuffers.Pool.Rent((int)entry.StoredLength);
        try
        {
            await ReadPackRangeAsync(location.PackId, entry.Offset, sealedBlob.AsMemory(0, (int)entry.StoredLength), cancellationToken).ConfigureAwait(false);
            var plaintext = GC.AllocateUninitializedArray<byte>((int)entry.RawLength);
            Decode(location, sealedBlob.AsSpan(0, (int)entry.StoredLength), plaintext);
            return plaintext;
        }
        finally
        {
            LargeBuffers.Pool.Return(sealedBlob);
        }
    }

    /// <summary>Reads raw (sealed) bytes of a pack: one or several blobs, to open with <see cref="Decode"/>.</summary>
    public Task ReadPackRangeAsync(ObjectId packId, long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        Blobs.ReadRangeAsync(PackName(packId), offset, destination, cancellationToken);

    /// <summary>
    /// The storage tier of a pack holding <paramref name="entries"/>: <see cref="StorageTier.Data"/> only when it holds no
    /// tree, so an archive class never takes a tree (old repositories' packs mix both; this writer never does).
    /// </summary>
    public static StorageTier TierOf(IReadOnlyList<BlobEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var e in entries)
            if (e.Type != ObjectType.Data) return StorageTier.Hot;
        return entries.Count > 0 ? StorageTier.Data : StorageTier.Hot;
    }

    /// <summary>The storage name of a pack.</summary>
    public static BlobName PackName(ObjectId packId) => new(BlobKind.Pack, packId.ToString());

    /// <summary>
    /// Opens one sealed blob read from its pack into the start of <paramref name="workspace"/> (its raw length). A
    /// workspace of <see cref="DecodeRoom"/> bytes lets a compressed blob decompress in place, with no scratch buffer.
    /// </summary>
    public void Decode(in BlobLocation location, ReadOnlySpan<byte> sealedBlob, Span<byte> workspace)
    {
        var codec = RentCodec();
        try
        {
            codec.Decode(location.Entry, sealedBlob, workspace, Describe(location));
        }
        finally
        {
            ReturnCodec(codec);
        }
    }

    /// <summary>The workspace length with which <see cref="Decode"/> needs no scratch buffer for this blob.</summary>
    public static int DecodeRoom(in BlobEntry entry) => BlobCodec.DecodeRoom(entry);

    /// <summary>The largest <see cref="DecodeRoom"/> a chunk of this repository needs (trees may need more).</summary>
    public int ChunkDecodeRoom => BlobCodec.ChunkDecodeRoom(Config.Chunker.MaxSize);

    private BlobCodec RentCodec() => _codecs.TryTake(out var codec) ? codec : new BlobCodec(Cipher, Hasher, Config.CompressionLevel, Config.Chunker.MaxSize);

    private async ValueTask<BlobCodec> RentEncoderAsync(CancellationToken cancellationToken)
    {
        await _encoderSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return RentCodec();
    }

    private void ReturnEncoder(BlobCodec codec)
    {
        ReturnCodec(codec);
        _encoderSlots.Release();
    }

    // Codecs keep their scratch buffers: there are only as many codecs as concurrent callers (workers).
    private void ReturnCodec(BlobCodec codec) => _codecs.Add(codec);

    /// <summary>How a blob is named in error messages: its pack and id, which is what check and repair need.</summary>
    public static string Describe(in BlobLocation location) =>
        $"{location.Entry.Type.ToString().ToLowerInvariant()} blob {location.Entry.Id.ToShortString()} in pack {location.PackId.ToShortString()}";

    /// <summary>Seals a whole-file object (index, snapshot) and stores it under its id.</summary>
    public async Task<ObjectId> SaveFileAsync(BlobKind kind, ObjectType type, byte[] payload, bool compress, CancellationToken cancellationToken)
    {
        var (id, bytes) = SealedFile.Encode(Cipher, Hasher, type, payload, compress);
        await Blobs.PutAsync(new BlobName(kind, id.ToString()), bytes, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>Loads and opens a whole-file object, checking that it matches its name.</summary>
    public async Task<byte[]> LoadFileAsync(BlobName name, ObjectType type, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(name.Name, out var id))
            throw new IntegrityException(name.ToString(), "its name is not a 64-digit hex id");
        var bytes = await Blobs.GetAsync(name, cancellationToken).ConfigureAwait(false);
        return SealedFile.Decode(Cipher, Hasher, type, id, bytes, name.ToString());
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Task[] uploads;
        lock (_uploads) uploads = [.. _uploads];
        try
        {
            await Task.WhenAll(uploads).ConfigureAwait(false);
        }
        catch (Exception) when (_uploadFailure is not null)
        {
            // Already reported to whoever flushed; disposal must not throw.
        }
        // A pack still filling (the backup failed or was cancelled) is discarded: its temp file is removed.
        PackBuilder?[] unfinished;
        lock (_packLock)
        {
            unfinished = [_dataPack, _treePack];
            _dataPack = _treePack = null;
        }
        foreach (var pack in unfinished)
            if (pack is not null) await pack.DisposeAsync().ConfigureAwait(false);
        foreach (var abandoned in _abandonedPacks) await abandoned.DisposeAsync().ConfigureAwait(false);
        while (_codecs.TryTake(out var codec)) codec.Dispose();
        _uploadSlots.Dispose();
        _indexWriteLock.Dispose();
    }
}
