using Cairn.Content;
using Cairn.Content.Index;
using Cairn.Content.Packs;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Maintenance.Prune;

/// <summary>What a prune did.</summary>
public sealed record PruneResult
{
    /// <summary>Packs deleted: unused, unindexed and repacked ones.</summary>
    public int PacksDeleted { get; init; }
    /// <summary>Partly used packs whose used blobs were copied out.</summary>
    public int PacksRepacked { get; init; }
    /// <summary>New packs written with the copied blobs.</summary>
    public int PacksWritten { get; init; }
    /// <summary>Blobs copied into new packs.</summary>
    public long BlobsRepacked { get; init; }
    /// <summary>Bytes of the new packs.</summary>
    public long BytesWritten { get; init; }
    /// <summary>Bytes of the deleted packs.</summary>
    public long BytesDeleted { get; init; }
    /// <summary>Index files written.</summary>
    public int IndexFilesWritten { get; init; }
    /// <summary>Superseded index files deleted.</summary>
    public int IndexFilesDeleted { get; init; }
    /// <summary>Unused bytes left in kept packs.</summary>
    public long UnusedBytesRemaining { get; init; }
    /// <summary>Temporary files of interrupted writers (killed backups' half-filled packs) deleted.</summary>
    public int AbandonedFilesDeleted { get; init; }
    /// <summary>Bytes of those temporary files.</summary>
    public long AbandonedBytesDeleted { get; init; }
    /// <summary>Net space freed: deleted minus written.</summary>
    public long BytesFreed => BytesDeleted + AbandonedBytesDeleted - BytesWritten;
}

/// <summary>
/// Carries out a <see cref="PrunePlan"/> in the order that keeps every snapshot restorable if it is stopped at any
/// point (docs/FORMAT.md §10): new packs, then the new index (naming kept and new packs, superseding the old index
/// files), then deletion of the old index files, then deletion of the packs no index names any more. Each phase
/// starts only after the previous one is durable; an interrupted prune leaves only extra copies and unindexed packs,
/// which the next prune removes.
/// </summary>
public static class Pruner
{
    /// <summary>Reads of one pack are split into ranges of at most this many bytes, bounding memory per worker.</summary>
    private const int MaxReadBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Carries out <paramref name="plan"/>, which must have been made for <paramref name="repository"/> under the same
    /// exclusive lock (whose lease, when the repository holds one, is checked before each deleting phase). Afterwards the repository's in-memory index is stale (it still names deleted packs): reopen it
    /// to read data again.
    /// </summary>
    /// <exception cref="PruneRefusedException">The plan found missing or damaged data; nothing was changed.</exception>
    public static async Task<PruneResult> ExecuteAsync(Repository repository, PrunePlan plan, PruneOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        if (plan.Problems.Count > 0) throw new PruneRefusedException(plan.Problems, plan.TotalProblems);
        if (!plan.HasWork)
        {
            var leftovers = await DeleteAbandonedWritesAsync(repository, options, cancellationToken).ConfigureAwait(false);
            return new PruneResult
            {
                UnusedBytesRemaining = plan.Statistics.UnusedBytesAfter,
                AbandonedFilesDeleted = leftovers.Files,
                AbandonedBytesDeleted = leftovers.Bytes,
            };
        }

        var repack = plan.Packs.Where(p => p.Action == PackAction.Repack).ToList();
        var newPacks = await RepackAsync(repository, repack, options, cancellationToken).ConfigureAwait(false);
        long copied = newPacks.Sum(p => (long)p.Blobs.Count);
        var kept = plan.Packs.Where(p => p.Action == PackAction.Keep).ToList();

        // The last guard before anything is deleted: every referenced blob must be in a kept pack or a new one.
        long covered = kept.Sum(p => (long)p.UsedBlobs) + copied;
        if (copied != plan.Statistics.BlobsToCopy || covered != plan.Statistics.UsedBlobs)
            throw new InvalidOperationException($"internal error: prune would keep {covered} of {plan.Statistics.UsedBlobs} referenced blobs " +
                $"({copied} of {plan.Statistics.BlobsToCopy} copied); nothing was deleted");

        int indexWritten = 0, indexDeleted = 0;
        if (plan.RewritesIndex)
        {
            indexWritten = await WriteIndexAsync(repository.Content, kept, newPacks, plan.IndexFiles, options, cancellationToken).ConfigureAwait(false);
            await BeforeDeleteAsync(repository, options, PrunePhase.DeleteIndexFiles, cancellationToken).ConfigureAwait(false);
            await DeleteAsync(repository.Blobs, plan.IndexFiles.Select(id => new BlobName(BlobKind.Index, id.ToString())), CrashPoints.PruneIndexDeleted, options, cancellationToken).ConfigureAwait(false);
            indexDeleted = plan.IndexFiles.Count;
        }

        var obsolete = plan.Packs.Where(p => p.Action != PackAction.Keep).Concat(plan.Unindexed).ToList();
        await BeforeDeleteAsync(repository, options, PrunePhase.DeletePacks, cancellationToken).ConfigureAwait(false);
        await DeleteAsync(repository.Blobs, obsolete.Select(p => ContentStore.PackName(p.Id)), CrashPoints.PrunePackDeleted, options, cancellationToken).ConfigureAwait(false);
        var abandoned = await DeleteAbandonedWritesAsync(repository, options, cancellationToken).ConfigureAwait(false);

        return new PruneResult
        {
            AbandonedFilesDeleted = abandoned.Files,
            AbandonedBytesDeleted = abandoned.Bytes,
            PacksDeleted = obsolete.Count,
            PacksRepacked = repack.Count,
            PacksWritten = newPacks.Count,
            BlobsRepacked = copied,
            BytesWritten = newPacks.Sum(p => PackFormat.ExpectedLength(p.Blobs)),
            BytesDeleted = obsolete.Sum(p => p.Size),
            IndexFilesWritten = indexWritten,
            IndexFilesDeleted = indexDeleted,
            UnusedBytesRemaining = plan.Statistics.UnusedBytesAfter,
        };
    }

    /// <summary>
    /// Copies the used blobs of <paramref name="packs"/> into new packs, sealed bytes as they are (each verified on the
    /// way), and uploads them. A separate content store writes no index file of its own: the new packs go into the one
    /// new index together with the kept packs.
    /// </summary>
    private static async Task<IReadOnlyList<(ObjectId PackId, IReadOnlyList<BlobEntry> Blobs)>> RepackAsync(Repository repository, List<PackUsage> packs,
        PruneOptions options, CancellationToken cancellationToken)
    {
        if (packs.Count == 0) return [];
        await using var target = new ContentStore(repository.Blobs, repository.MasterKey, repository.Config,
            new ContentStoreOptions { MaxConcurrentUploads = 2, PacksPerIndexFile = int.MaxValue });
        await Parallel.ForEachAsync(packs, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken },
            (pack, ct) => new ValueTask(CopyUsedBlobsAsync(repository.Content, target, pack, ct))).ConfigureAwait(false);
        return await target.FlushPacksAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task CopyUsedBlobsAsync(ContentStore source, ContentStore target, PackUsage pack, CancellationToken cancellationToken)
    {
        var used = new List<BlobEntry>(pack.UsedBlobs);
        for (int i = 0; i < pack.Blobs.Count; i++)
        {
            if (pack.Used[i]) used.Add(pack.Blobs[i]);
        }
        used.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        // Adjacent used blobs are read together, in ranges of a few MiB, so a pack costs few requests and little memory.
        int start = 0;
        while (start < used.Count)
        {
            int end = start + 1;
            long length = used[start].StoredLength;
            while (end < used.Count && used[end].Offset == used[end - 1].Offset + used[end - 1].StoredLength && length + used[end].StoredLength <= MaxReadBytes)
            {
                length += used[end].StoredLength;
                end++;
            }
            var buffer = LargeBuffers.Pool.Rent((int)length);
            try
            {
                await source.ReadPackRangeAsync(pack.Id, used[start].Offset, buffer.AsMemory(0, (int)length), cancellationToken).ConfigureAwait(false);
                for (int i = start; i < end; i++)
                {
                    var entry = used[i];
                    var bytes = buffer.AsMemory((int)(entry.Offset - used[start].Offset), (int)entry.StoredLength);
                    await target.StoreSealedAsync(new BlobLocation(pack.Id, entry), bytes, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                LargeBuffers.Pool.Return(buffer);
            }
            start = end;
        }
    }

    /// <summary>
    /// Writes the new index: every kept and new pack, split over files of bounded size. Only the last file carries
    /// the list of superseded index files, and it is written after the others are durable, so a reader that trusts
    /// "supersedes" can never drop an old file before its whole replacement exists.
    /// </summary>
    private static async Task<int> WriteIndexAsync(ContentStore content, List<PackUsage> kept, IReadOnlyList<(ObjectId PackId, IReadOnlyList<BlobEntry> Blobs)> newPacks,
        IReadOnlyList<ObjectId> superseded, PruneOptions options, CancellationToken cancellationToken)
    {
        var files = new List<IndexFile> { new() };
        int blobs = 0;
        foreach (var (packId, entries) in kept.Select(p => (p.Id, p.Blobs)).Concat(newPacks))
        {
            if (blobs > 0 && blobs + entries.Count > options.BlobsPerIndexFile)
            {
                files.Add(new IndexFile());
                blobs = 0;
            }
            files[^1].Packs.Add((packId, entries));
            blobs += entries.Count;
        }
        // With no pack left there is nothing to index: deleting the old files is enough.
        if (files[^1].Packs.Count == 0) return 0;
        files[^1].Supersedes.AddRange(superseded);
        foreach (var file in files)
        {
            await content.SaveFileAsync(BlobKind.Index, ObjectType.Index, file.Encode(), compress: true, cancellationToken).ConfigureAwait(false);
            CrashPoints.Reached(CrashPoints.PruneIndexWritten);
        }
        return files.Count;
    }

    // A killed backup leaves the pack it was filling as a temporary file that no listing shows. Under the exclusive
    // lock no writer can be running, and the age limit keeps clear of one whose lock a clock skew hid from us.
    private static async Task<AbandonedWrites> DeleteAbandonedWritesAsync(Repository repository, PruneOptions options, CancellationToken cancellationToken)
    {
        repository.Lease?.EnsureValid();
        return await repository.Blobs.DeleteAbandonedWritesAsync(options.AbandonedWriteAge, cancellationToken).ConfigureAwait(false);
    }

    private static async Task BeforeDeleteAsync(Repository repository, PruneOptions options, PrunePhase phase, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // The exclusive lock taken before planning must still be ours: from here on prune deletes, and once the lease
        // has lapsed a backup may have started and written packs that look unused to this plan.
        repository.Lease?.EnsureValid();
        if (options.BeforeDelete is { } check) await check(phase, cancellationToken).ConfigureAwait(false);
    }

    private static Task DeleteAsync(IBlobStore blobs, IEnumerable<BlobName> names, string crashPoint, PruneOptions options, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken },
            async (name, ct) =>
            {
                await blobs.DeleteAsync(name, ct).ConfigureAwait(false);
                CrashPoints.Reached(crashPoint);
            });
}
