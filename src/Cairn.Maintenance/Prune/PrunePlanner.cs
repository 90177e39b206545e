using System.Collections.Concurrent;
using Cairn.Content;
using Cairn.Content.Index;
using Cairn.Content.Packs;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Maintenance.Prune;

/// <summary>
/// Decides what prune deletes and repacks, reading only snapshots, trees, index files and the pack listing (never
/// pack contents). Finds, on the way, everything that makes prune unsafe (the structural part of check), and
/// reports it as problems instead of a plan.
/// </summary>
/// <remarks>
/// Memory is per blob, not per byte: the referenced-id sets of <see cref="ReferenceWalker"/>, each pack's entry
/// array as decoded from the index files (56 bytes per blob) and one bit per blob; docs/PERFORMANCE.md has the
/// measured total. Nothing of a blob's content is ever held.
/// </remarks>
public static class PrunePlanner
{
    /// <summary>How many problems are kept for the report; the rest are only counted.</summary>
    private const int MaxProblems = 20;

    private const int Parallelism = 8;

    /// <summary>Plans a prune of <paramref name="repository"/>, keeping the data of every snapshot it holds.</summary>
    public static async Task<PrunePlan> PlanAsync(Repository repository, PruneOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new Problems();
        var snapshots = await LoadSnapshotsAsync(repository, options.ExcludedSnapshots, problems, cancellationToken).ConfigureAwait(false);
        var (indexFiles, packs, listedAgain) = await LoadIndexAsync(repository, problems, cancellationToken).ConfigureAwait(false);
        var unindexed = await MatchPackListingAsync(repository.Blobs, packs, problems, cancellationToken).ConfigureAwait(false);

        BlobReferences? references = null;
        try
        {
            // No unreadable-tree callback: a tree that cannot be read aborts the walk, since prune must never act on
            // an incomplete picture of what is referenced.
            references = await ReferenceWalker.CollectAsync(repository, snapshots, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IntegrityException or BlobNotFoundException)
        {
            problems.Add($"a tree of the snapshots cannot be read: {e.Message}");
        }
        if (references is null)
            return new PrunePlan(problems.First, problems.Total, new PruneStatistics { Snapshots = snapshots.Count }, indexFiles, [.. packs.Values], unindexed);

        long usedBlobs = references.Trees.Count + references.Data.Count;
        long duplicates = MarkUsed(packs.Values, references);
        foreach (var id in references.Trees) problems.Add($"tree {id.ToShortString()} is referenced by a snapshot but is in no indexed pack (data is missing)");
        foreach (var id in references.Data) problems.Add($"data blob {id.ToShortString()} is referenced by a snapshot but is in no indexed pack (data is missing)");
        // The sets are empty now but keep their capacity (about 70 bytes per referenced blob): give it back before
        // the plan is carried out, whoever may still hold the sets.
        references.Trees.Clear();
        references.Trees.TrimExcess();
        references.Data.Clear();
        references.Data.TrimExcess();
        var statistics = Decide(packs.Values, unindexed, options) with
        {
            Snapshots = snapshots.Count,
            IndexFiles = indexFiles.Count,
            PacksListedAgain = listedAgain,
            UsedBlobs = usedBlobs,
            DuplicateBlobs = duplicates,
        };
        return new PrunePlan(problems.First, problems.Total, statistics, indexFiles, [.. packs.Values], unindexed);
    }

    private static async Task<List<Snapshot>> LoadSnapshotsAsync(Repository repository, IReadOnlySet<ObjectId> excluded, Problems problems,
        CancellationToken cancellationToken)
    {
        var ids = new List<ObjectId>();
        await foreach (var info in repository.Blobs.ListAsync(BlobKind.Snapshot, cancellationToken).ConfigureAwait(false))
        {
            if (ObjectId.TryParse(info.Name.Name, out var id) && !excluded.Contains(id)) ids.Add(id);
        }
        var snapshots = new ConcurrentBag<Snapshot>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            try
            {
                snapshots.Add(await repository.LoadSnapshotAsync(id, ct).ConfigureAwait(false));
            }
            catch (IntegrityException e)
            {
                problems.Add($"snapshot {id.ToShortString()} cannot be read, so what it references is unknown: {e.Message}");
            }
        }).ConfigureAwait(false);
        return [.. snapshots];
    }

    /// <summary>
    /// Reads every index file again (the repository's merged index keeps one location per blob, but prune needs every
    /// copy, per pack). A pack that several index files list (left by an interrupted prune) is taken once, and counted,
    /// so that prune merges the index even when no pack is left to delete. Each file also goes into the repository's
    /// merged index, which the tree walk needs: cairn prune opens the repository without loading it, so every index
    /// file is read once; for a repository opened with its index (forget --prune) the adds change nothing.
    /// </summary>
    private static async Task<(List<ObjectId> Files, Dictionary<ObjectId, PackUsage> Packs, int ListedAgain)> LoadIndexAsync(Repository repository, Problems problems,
        CancellationToken cancellationToken)
    {
        var files = new List<ObjectId>();
        var packs = new Dictionary<ObjectId, PackUsage>();
        int listedAgain = 0;
        var gate = new Lock();
        await repository.Content.ReadIndexFilesAsync((name, file) =>
        {
            repository.Content.Index.Add(file);
            lock (gate)
            {
                files.Add(ObjectId.Parse(name.Name));
                foreach (var (packId, blobs) in file.Packs)
                {
                    if (!packs.TryAdd(packId, new PackUsage(packId, blobs))) listedAgain++;
                }
            }
        },
        // Its packs would look unindexed and be deleted: refuse instead.
        (name, error) => problems.Add($"{error.Message}: run 'cairn repair index'"), cancellationToken).ConfigureAwait(false);
        return (files, packs, listedAgain);
    }

    /// <summary>Checks every indexed pack against the storage listing; returns the packs that no index names.</summary>
    private static async Task<List<PackUsage>> MatchPackListingAsync(IBlobStore blobs, Dictionary<ObjectId, PackUsage> packs, Problems problems,
        CancellationToken cancellationToken)
    {
        var unindexed = new List<PackUsage>();
        var listed = new HashSet<ObjectId>();
        await foreach (var info in blobs.ListAsync(BlobKind.Pack, cancellationToken).ConfigureAwait(false))
        {
            if (!ObjectId.TryParse(info.Name.Name, out var id)) continue;
            listed.Add(id);
            if (!packs.TryGetValue(id, out var pack))
            {
                unindexed.Add(new PackUsage(id, []) { Size = info.Length, Action = PackAction.Delete, IsArchived = info.IsArchived, StorageClass = info.StorageClass });
                continue;
            }
            pack.Size = info.Length;
            pack.IsArchived = info.IsArchived;
            pack.StorageClass = info.StorageClass;
            long expected = PackFormat.ExpectedLength(pack.Blobs);
            if (info.Length != expected)
                problems.Add($"pack {id.ToShortString()} is {info.Length} bytes, but its index entries describe {expected} bytes (truncated or damaged): run 'cairn check'");
        }
        foreach (var pack in packs.Values)
        {
            if (!listed.Contains(pack.Id)) problems.Add($"pack {pack.Id.ToShortString()} is in the index but missing from the storage: run 'cairn check', then 'cairn repair index'");
        }
        return unindexed;
    }

    /// <summary>
    /// Marks, for every referenced blob, the one copy that stays, removing it from <paramref name="references"/> (so
    /// what remains there is referenced but in no pack). Packs are visited fullest first, so that when a blob is in
    /// several packs (an interrupted prune leaves old and new copies) the copy in the fuller pack is kept and the
    /// emptier pack can go. Returns the number of extra copies.
    /// </summary>
    private static long MarkUsed(IEnumerable<PackUsage> packs, BlobReferences references)
    {
        var order = packs.ToList();
        long referencedCopies = 0, kept = 0;
        foreach (var pack in order)
        {
            long blobBytes = 0, referenced = 0;
            foreach (var b in pack.Blobs)
            {
                blobBytes += b.StoredLength;
                if (SetFor(references, b.Type)?.Contains(b.Id) != true) continue;
                referenced += b.StoredLength;
                referencedCopies++;
            }
            pack.BlobBytes = blobBytes;
            pack.ReferencedBytes = referenced;
        }
        order.Sort((a, b) =>
        {
            // Compare referenced shares a/A and b/B as a·B against b·A, exactly.
            int c = ((Int128)b.ReferencedBytes * Math.Max(a.BlobBytes, 1)).CompareTo((Int128)a.ReferencedBytes * Math.Max(b.BlobBytes, 1));
            return c != 0 ? c : a.Id.CompareTo(b.Id);
        });
        foreach (var pack in order)
        {
            if (pack.ReferencedBytes == 0) continue;
            for (int i = 0; i < pack.Blobs.Count; i++)
            {
                var b = pack.Blobs[i];
                if (SetFor(references, b.Type)?.Remove(b.Id) != true) continue;
                pack.Used[i] = true;
                pack.UsedBlobs++;
                pack.UsedBytes += b.StoredLength;
                kept++;
            }
        }
        // Every referenced copy but the kept one of each blob is a duplicate.
        return referencedCopies - kept;
    }

    private static HashSet<ObjectId>? SetFor(BlobReferences references, ObjectType type) => type switch
    {
        ObjectType.Tree => references.Trees,
        ObjectType.Data => references.Data,
        _ => null,
    };

    /// <summary>Chooses an action for every pack (restic's algorithm, without its special cases for small and tree packs).</summary>
    private static PruneStatistics Decide(IEnumerable<PackUsage> packs, List<PackUsage> unindexed, PruneOptions options)
    {
        long usedBytes = 0, unusedBytes = 0, unusedBlobs = 0, deleteBytes = 0, totalBytes = 0, coldKeptUnused = 0;
        int deletePacks = 0, coldKept = 0;
        var candidates = new List<PackUsage>();
        foreach (var pack in packs)
        {
            usedBytes += pack.UsedBytes;
            unusedBytes += pack.UnusedBytes;
            unusedBlobs += pack.UnusedBlobs;
            totalBytes += pack.Size;
            if (pack.UsedBlobs == 0)
            {
                pack.Action = PackAction.Delete;
                deletePacks++;
                deleteBytes += pack.Size;
            }
            else
            {
                pack.Action = PackAction.Keep;
                if (pack.UnusedBlobs == 0) continue;
                // Repacking reads the pack: an archived one stays as it is unless the caller will thaw it.
                if (pack.IsArchived && !options.RepackArchived)
                {
                    coldKept++;
                    coldKeptUnused += pack.UnusedBytes;
                    continue;
                }
                candidates.Add(pack);
            }
        }

        // Worst first: the highest unused share frees the most per byte copied.
        candidates.Sort((a, b) =>
        {
            int c = ((Int128)b.UnusedBytes * a.BlobBytes).CompareTo((Int128)a.UnusedBytes * b.BlobBytes);
            return c != 0 ? c : a.Id.CompareTo(b.Id);
        });
        long maxUnused = options.MaxUnused.MaxUnusedBytes(usedBytes);
        long unusedAfter = unusedBytes - packs.Where(p => p.Action == PackAction.Delete).Sum(p => p.UnusedBytes);
        long repackBudget = options.MaxRepackBytes ?? long.MaxValue;
        long repackBytes = 0, copyBytes = 0, copyBlobs = 0;
        int repackPacks = 0;
        foreach (var pack in candidates)
        {
            if (unusedAfter <= maxUnused) break;
            // A pack that does not fit the budget is skipped, but a smaller one after it may still fit.
            if (pack.Size > repackBudget - repackBytes) continue;
            pack.Action = PackAction.Repack;
            repackPacks++;
            repackBytes += pack.Size;
            copyBytes += pack.UsedBytes;
            copyBlobs += pack.UsedBlobs;
            unusedAfter -= pack.UnusedBytes;
        }

        int keep = 0;
        foreach (var pack in packs) if (pack.Action == PackAction.Keep) keep++;
        var all = packs.Concat(unindexed).ToList();
        var archived = all.Where(p => p.IsArchived).ToList();
        return new PruneStatistics
        {
            Packs = keep + deletePacks + repackPacks + unindexed.Count,
            TotalBytes = totalBytes + unindexed.Sum(p => p.Size),
            UsedBytes = usedBytes,
            UnusedBlobs = unusedBlobs,
            UnusedBytes = unusedBytes,
            PacksToDelete = deletePacks,
            BytesToDelete = deleteBytes,
            UnindexedPacks = unindexed.Count,
            UnindexedBytes = unindexed.Sum(p => p.Size),
            PacksToRepack = repackPacks,
            BytesToRepack = repackBytes,
            BlobsToCopy = copyBlobs,
            BytesToCopy = copyBytes,
            PacksToKeep = keep,
            UnusedBytesAfter = unusedAfter,
            ArchivedPacks = archived.Count,
            ArchivedBytes = archived.Sum(p => p.Size),
            ArchivedPacksToDelete = archived.Count(p => p.Action == PackAction.Delete),
            ArchivedBytesToDelete = archived.Where(p => p.Action == PackAction.Delete).Sum(p => p.Size),
            ArchivedPacksKept = coldKept,
            ArchivedUnusedBytesKept = coldKeptUnused,
            ArchivedPacksToRepack = archived.Count(p => p.Action == PackAction.Repack),
            ArchivedBytesToRepack = archived.Where(p => p.Action == PackAction.Repack).Sum(p => p.Size),
            MaxUnusedBytes = maxUnused,
        };
    }

    /// <summary>Collects problems from parallel workers, keeping the first few messages.</summary>
    private sealed class Problems
    {
        private readonly List<string> _first = [];
        private readonly Lock _gate = new();
        private int _total;

        public int Total
        {
            get
            {
                lock (_gate) return _total;
            }
        }

        public IReadOnlyList<string> First
        {
            get
            {
                lock (_gate) return [.. _first];
            }
        }

        public void Add(string message)
        {
            lock (_gate)
            {
                _total++;
                if (_first.Count < MaxProblems) _first.Add(message);
            }
        }
    }
}
