using System.Collections.Concurrent;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Maintenance.Copy;

/// <summary>
/// Copies snapshots from one repository to another, storing only the blobs the destination lacks. Between related
/// repositories (sharing the master secret, see <see cref="RepositoryInitOptions.ShareSecretWith"/>) blobs and
/// snapshots keep their ids. Between unrelated ones every id is translated: chunks are read from the source and stored
/// under the destination's keyed id, trees are rewritten bottom-up with the translated ids, and the copy records
/// <see cref="Snapshot.CopiedFrom"/>. A translation map (see <see cref="IdTranslation"/>) makes data shared between
/// snapshots read once, and is seeded from earlier copies so a re-run reads only what is new.
/// </summary>
public sealed class SnapshotCopier
{
    // Any fixed string: equal keyed ids of it mean equal id keys, i.e. the same master secret.
    private static ReadOnlySpan<byte> Probe => "cairn copy: are these repositories related?"u8;

    private readonly Repository _source;
    private readonly Repository _destination;
    private readonly CopyOptions _options;
    private readonly IdTranslation _translation = new();
    private readonly ConcurrentDictionary<ObjectId, Lazy<Task<ObjectId>>> _inFlight = new();
    private readonly SemaphoreSlim _workers;
    private long _blobsRead, _bytesRead, _seedTreesRead;
    private bool _seeded;

    /// <summary>Prepares a copy from <paramref name="source"/> to <paramref name="destination"/> (both open, indexes loaded).</summary>
    public SnapshotCopier(Repository source, Repository destination, CopyOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);
        _source = source;
        _destination = destination;
        _options = options;
        _workers = new SemaphoreSlim(Math.Max(1, options.Workers));
        Related = AreRelated(source, destination);
    }

    /// <summary>True when the two repositories share their master secret, judged by their ids of a fixed probe, not by any flag.</summary>
    public bool Related { get; }

    /// <summary>Blobs read from the source so far (live, for progress displays).</summary>
    public long BlobsRead => Interlocked.Read(ref _blobsRead);

    /// <summary>Plaintext bytes read from the source so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>True when both repositories compute the same keyed ids, which holds exactly when they share the master secret.</summary>
    public static bool AreRelated(Repository a, Repository b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Content.Hasher.Compute(Probe) == b.Content.Hasher.Compute(Probe);
    }

    /// <summary>
    /// Copies <paramref name="snapshots"/> (of the source), oldest first, skipping those the destination already has.
    /// Each copy is flushed (packs, then index) before its snapshot is written, so an interruption leaves every earlier
    /// copy complete and at most unreferenced data behind; running again continues where it stopped.
    /// </summary>
    public async Task<CopyResult> RunAsync(IEnumerable<Snapshot> snapshots, CancellationToken cancellationToken)
    {
        var (selected, copies) = await PrepareAsync(snapshots, cancellationToken).ConfigureAwait(false);
        _destination.Content.DiscardWrites = _options.DryRun;
        var outcomes = new List<SnapshotCopyOutcome>();
        foreach (var snapshot in selected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SnapshotCopyOutcome outcome;
            if (copies.TryGetValue(snapshot.Id, out var copyId))
            {
                outcome = new SnapshotCopyOutcome(snapshot, CopyAction.Skipped, copyId, 0, 0, 0, 0, 0);
            }
            else
            {
                outcome = await CopyAsync(snapshot, copies, cancellationToken).ConfigureAwait(false);
                if (outcome.CopyId is { } id) copies[snapshot.Id] = id;
            }
            outcomes.Add(outcome);
            _options.OnSnapshot?.Invoke(outcome);
        }
        return new CopyResult { Related = Related, DryRun = _options.DryRun, Snapshots = outcomes, SeedTreesRead = _seedTreesRead };
    }

    /// <summary>
    /// The source packs that copying <paramref name="snapshots"/> reads data from: the chunks the destination lacks,
    /// found by walking the snapshots' trees (which stay in hot packs) as the copy will, skipping what it would skip.
    /// Writes nothing, so a command can find out which of these packs are archived before it copies anything. Seeds the
    /// translation of unrelated repositories, which <see cref="RunAsync"/> then reuses.
    /// </summary>
    public async Task<IReadOnlyCollection<ObjectId>> FindSourcePacksAsync(IEnumerable<Snapshot> snapshots, CancellationToken cancellationToken)
    {
        var (selected, copies) = await PrepareAsync(snapshots, cancellationToken).ConfigureAwait(false);
        var packs = new HashSet<ObjectId>();
        var visited = new HashSet<ObjectId>();
        var pending = new Stack<ObjectId>(selected.Where(s => !copies.ContainsKey(s.Id)).Select(s => s.Tree));
        while (pending.TryPop(out var treeId))
        {
            if (!visited.Add(treeId) || TryKnown(treeId, out _)) continue;
            var tree = await _source.LoadTreeAsync(treeId, cancellationToken).ConfigureAwait(false);
            foreach (var node in tree.Nodes)
            {
                if (node.Kind == NodeKind.Directory) pending.Push(node.Subtree);
                else if (node.Content is { } chunks)
                    foreach (var chunk in chunks)
                        if (!TryKnown(chunk, out _) && _source.Content.Index.TryGet(chunk, out var location)) packs.Add(location.PackId);
            }
        }
        return packs;
    }

    /// <summary>
    /// The snapshots to consider, oldest first, and the copies the destination already has (source id → copy id); seeds
    /// the translation once, for the snapshots still to copy.
    /// </summary>
    private async Task<(List<Snapshot> Selected, Dictionary<ObjectId, ObjectId> Copies)> PrepareAsync(IEnumerable<Snapshot> snapshots, CancellationToken cancellationToken)
    {
        if (string.Equals(_source.Blobs.Location, _destination.Blobs.Location, StringComparison.Ordinal))
            throw new CairnException($"the source and the destination are the same repository ({_source.Blobs.Location})", ExitCode.Usage);
        var selected = snapshots.DistinctBy(s => s.Id).OrderBy(s => s.Time).ThenBy(s => s.Id).ToList();
        var existing = await _destination.ListSnapshotsAsync(SnapshotFilter.All, cancellationToken).ConfigureAwait(false);
        var copies = new Dictionary<ObjectId, ObjectId>();
        foreach (var d in existing)
        {
            if (d.CopiedFrom is { } from) copies.TryAdd(from, d.Id);
            if (Related) copies[d.Id] = d.Id;
        }
        if (!_seeded && !Related && selected.Exists(s => !copies.ContainsKey(s.Id)))
        {
            _seedTreesRead = await SeedAsync(selected.Where(s => !copies.ContainsKey(s.Id)), existing, cancellationToken).ConfigureAwait(false);
            _seeded = true;
        }
        return (selected, copies);
    }

    /// <summary>
    /// Seeds the translation from earlier copies: for each (host, paths) among the snapshots to copy, the newest pair
    /// of a source snapshot and its copy. A new backup shares most subtrees with the previous one of its host and paths,
    /// so this pair alone lets those subtrees be translated without reading them; older pairs would add little.
    /// </summary>
    private async Task<long> SeedAsync(IEnumerable<Snapshot> toCopy, List<Snapshot> existing, CancellationToken cancellationToken)
    {
        var groups = toCopy.Select(GroupKey).ToHashSet(StringComparer.Ordinal);
        // Only copies of snapshots this source still has: a destination may also hold copies from other repositories.
        var inSource = new HashSet<ObjectId>();
        await foreach (var info in _source.Blobs.ListAsync(Cairn.Storage.BlobKind.Snapshot, cancellationToken).ConfigureAwait(false))
            if (ObjectId.TryParse(info.Name.Name, out var id)) inSource.Add(id);
        var pairs = existing.Where(d => d.CopiedFrom is { } from && inSource.Contains(from) && groups.Contains(GroupKey(d)))
            .GroupBy(GroupKey, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(d => d.Time).ThenByDescending(d => d.Id).First());
        long treesRead = 0;
        foreach (var copy in pairs)
        {
            Snapshot original;
            try
            {
                original = await _source.LoadSnapshotAsync(copy.CopiedFrom!.Value, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IntegrityException or Cairn.Storage.BlobNotFoundException)
            {
                continue; // damaged, or forgotten since the listing: nothing to learn from this pair
            }
            var (_, read) = await TranslationSeeder.SeedAsync(_source, _destination, original.Tree, copy.Tree, _translation, cancellationToken).ConfigureAwait(false);
            treesRead += read;
        }
        return treesRead;
    }

    private static string GroupKey(Snapshot s) => s.Hostname + "\0" + string.Join("\0", s.Paths);

    private async Task<SnapshotCopyOutcome> CopyAsync(Snapshot snapshot, Dictionary<ObjectId, ObjectId> copies, CancellationToken cancellationToken)
    {
        var content = _destination.Content;
        long blobs = content.BlobsAdded, raw = content.RawBytesAdded, stored = content.StoredBytesAdded;
        long blobsRead = Interlocked.Read(ref _blobsRead), bytesRead = Interlocked.Read(ref _bytesRead);

        var root = await CopyTreeAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);
        ObjectId? copyId = null;
        if (!_options.DryRun)
        {
            // Packs and the index naming them must be durable before a snapshot names their blobs.
            await content.FlushAsync(cancellationToken).ConfigureAwait(false);
            // A lost source lease means a prune may have run there; the destination's is checked by the snapshot save.
            _source.Lease?.EnsureValid();
            if (Related)
            {
                // The same bytes under the same key give the same id: the snapshot is the source's, unchanged.
                var json = await _source.LoadSnapshotJsonAsync(snapshot.Id, cancellationToken).ConfigureAwait(false);
                copyId = await _destination.SaveSnapshotJsonAsync(json, cancellationToken).ConfigureAwait(false);
                if (copyId != snapshot.Id)
                    throw new IntegrityException($"snapshot {snapshot.Id.ToShortString()}", $"its copy got id {copyId.Value.ToShortString()} although the repositories are related");
            }
            else
            {
                // The parent is a source id; it means something in the destination only once that snapshot is copied too.
                ObjectId? parent = snapshot.Parent is { } p && copies.TryGetValue(p, out var parentCopy) ? parentCopy : null;
                var copy = await _destination.SaveSnapshotAsync(snapshot with { Tree = root, Parent = parent, CopiedFrom = snapshot.Id, Id = default },
                    cancellationToken).ConfigureAwait(false);
                copyId = copy.Id;
            }
        }
        return new SnapshotCopyOutcome(snapshot, CopyAction.Copied, copyId,
            content.BlobsAdded - blobs, content.RawBytesAdded - raw, content.StoredBytesAdded - stored,
            Interlocked.Read(ref _blobsRead) - blobsRead, Interlocked.Read(ref _bytesRead) - bytesRead);
    }

    /// <summary>
    /// Copies a tree and everything below it, depth first, and returns its id in the destination. Children are stored
    /// before their tree: with the content store's in-order uploads, a tree in the destination's index implies that
    /// all it names is indexed too, which is what lets related copies skip a present tree without reading it. Chunks
    /// of a directory's files copy in parallel while its subdirectories are walked; subdirectories go one at a time,
    /// so only the trees on the current path are held in memory.
    /// </summary>
    private async Task<ObjectId> CopyTreeAsync(ObjectId sourceId, CancellationToken cancellationToken)
    {
        if (TryKnown(sourceId, out var known)) return known;
        var plaintext = await _source.Content.LoadAsync(ObjectType.Tree, sourceId, cancellationToken).ConfigureAwait(false);
        CountRead(plaintext.Length);
        var tree = TreeCodec.Decode(plaintext, $"tree {sourceId.ToShortString()}");

        var chunks = new List<(List<ObjectId> Content, int Index, Task<ObjectId> Copy)>();
        foreach (var node in tree.Nodes)
            if (node.Kind != NodeKind.Directory && node.Content is { } content)
                for (int i = 0; i < content.Count; i++)
                    chunks.Add((content, i, CopyChunkAsync(content[i], cancellationToken)));
        try
        {
            foreach (var node in tree.Nodes)
                if (node.Kind == NodeKind.Directory)
                    node.Subtree = await CopyTreeAsync(node.Subtree, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Never leave chunk copies running unobserved: an error below must not outlive this call.
            await Task.WhenAll(chunks.Select(c => (Task)c.Copy)).ContinueWith(_ => { }, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
        foreach (var (content, index, copy) in chunks) content[index] = await copy.ConfigureAwait(false);

        if (Related)
        {
            var stored = await _destination.Content.StoreAsync(ObjectType.Tree, plaintext, cancellationToken).ConfigureAwait(false);
            return stored.Id == sourceId ? sourceId
                : throw new IntegrityException($"tree {sourceId.ToShortString()}", "it hashes to another id in the destination although the repositories are related");
        }
        var translated = await _destination.SaveTreeAsync(tree, cancellationToken).ConfigureAwait(false);
        _translation.Add(sourceId, translated.Id);
        return translated.Id;
    }

    /// <summary>The destination id of a chunk, copying it if the destination lacks it; a chunk asked for twice at once is copied once.</summary>
    private Task<ObjectId> CopyChunkAsync(ObjectId sourceId, CancellationToken cancellationToken)
    {
        if (TryKnown(sourceId, out var known)) return Task.FromResult(known);
        return _inFlight.GetOrAdd(sourceId, id => new Lazy<Task<ObjectId>>(() => TransferChunkAsync(id, cancellationToken))).Value;
    }

    private async Task<ObjectId> TransferChunkAsync(ObjectId sourceId, CancellationToken cancellationToken)
    {
        await _workers.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var plaintext = await _source.Content.LoadAsync(ObjectType.Data, sourceId, cancellationToken).ConfigureAwait(false);
            CountRead(plaintext.Length);
            // StoreAsync hashes with the destination's key, skips what the destination has, and verifies before upload.
            var stored = await _destination.Content.StoreAsync(ObjectType.Data, plaintext, cancellationToken).ConfigureAwait(false);
            if (Related && stored.Id != sourceId)
                throw new IntegrityException($"data blob {sourceId.ToShortString()}", "it hashes to another id in the destination although the repositories are related");
            if (!Related) _translation.Add(sourceId, stored.Id);
            return stored.Id;
        }
        finally
        {
            _workers.Release();
            // The translation (or the destination's index) answers from now on.
            _inFlight.TryRemove(sourceId, out _);
        }
    }

    /// <summary>The destination id of a blob the destination already has (related: present under the same id; else translated).</summary>
    private bool TryKnown(in ObjectId sourceId, out ObjectId destinationId)
    {
        if (!Related) return _translation.TryGet(sourceId, out destinationId);
        destinationId = sourceId;
        return _destination.Content.Contains(sourceId);
    }

    private void CountRead(long bytes)
    {
        Interlocked.Increment(ref _blobsRead);
        Interlocked.Add(ref _bytesRead, bytes);
    }
}
