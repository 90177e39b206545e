using System.Collections;
using Cairn.Content;
using Cairn.Content.Packs;

namespace Cairn.Maintenance.Prune;

/// <summary>What prune decided for a pack.</summary>
public enum PackAction
{
    /// <summary>Every blob is used, or its unused share is tolerated: the pack stays as it is.</summary>
    Keep,
    /// <summary>Partly used: the used blobs are copied into new packs, then the pack is deleted.</summary>
    Repack,
    /// <summary>No blob is used (or no index names the pack): deleted.</summary>
    Delete,
}

/// <summary>
/// One pack as prune sees it: its blobs (from the index), which of them are used, and its size in the storage.
/// Memory per blob is the shared entry array plus one bit.
/// </summary>
internal sealed class PackUsage(ObjectId id, IReadOnlyList<BlobEntry> blobs)
{
    public ObjectId Id { get; } = id;

    /// <summary>The pack's blobs in pack order, as the index lists them; empty for an unindexed pack.</summary>
    public IReadOnlyList<BlobEntry> Blobs { get; } = blobs;

    /// <summary>Bit i is set when blob i is the copy of a referenced blob that prune keeps.</summary>
    public BitArray Used { get; } = new(blobs.Count);

    /// <summary>Size in the storage.</summary>
    public long Size { get; set; }

    /// <summary>The listing shows it in an archive class: it cannot be read (repacked) without a thaw.</summary>
    public bool IsArchived { get; set; }

    /// <summary>Its storage class as the listing names it, if any.</summary>
    public string? StorageClass { get; set; }

    /// <summary>Sum of the blobs' sealed lengths (the pack minus its header).</summary>
    public long BlobBytes { get; set; }

    /// <summary>Sealed bytes of referenced blobs, duplicates included: orders packs so the fullest keep their copies.</summary>
    public long ReferencedBytes { get; set; }

    public int UsedBlobs { get; set; }

    public long UsedBytes { get; set; }

    public int UnusedBlobs => Blobs.Count - UsedBlobs;

    public long UnusedBytes => BlobBytes - UsedBytes;

    public PackAction Action { get; set; }
}

/// <summary>Sizes and counts of a prune plan, in the shape the CLI prints and serialises.</summary>
public sealed record PruneStatistics
{
    /// <summary>Snapshots whose data is kept.</summary>
    public int Snapshots { get; init; }
    /// <summary>Index files read (and superseded when the index is rewritten).</summary>
    public int IndexFiles { get; init; }
    /// <summary>Listings of packs that an earlier index file already lists (an interrupted prune leaves them): the index is merged.</summary>
    public int PacksListedAgain { get; init; }
    /// <summary>Pack files in the storage, indexed or not.</summary>
    public int Packs { get; init; }
    /// <summary>Their total size.</summary>
    public long TotalBytes { get; init; }
    /// <summary>Distinct blobs the snapshots reference (trees and data).</summary>
    public long UsedBlobs { get; init; }
    /// <summary>Sealed bytes of the copies of them that are kept.</summary>
    public long UsedBytes { get; init; }
    /// <summary>Blobs in indexed packs that no snapshot references, or extra copies of ones that are.</summary>
    public long UnusedBlobs { get; init; }
    /// <summary>Their sealed bytes.</summary>
    public long UnusedBytes { get; init; }
    /// <summary>Extra copies of referenced blobs (counted as unused).</summary>
    public long DuplicateBlobs { get; init; }
    /// <summary>Packs whose every blob is unused: deleted.</summary>
    public int PacksToDelete { get; init; }
    /// <summary>Their size.</summary>
    public long BytesToDelete { get; init; }
    /// <summary>Packs no index names (left by interrupted backups or prunes): deleted.</summary>
    public int UnindexedPacks { get; init; }
    /// <summary>Their size.</summary>
    public long UnindexedBytes { get; init; }
    /// <summary>Partly used packs to repack.</summary>
    public int PacksToRepack { get; init; }
    /// <summary>Their total size.</summary>
    public long BytesToRepack { get; init; }
    /// <summary>Used blobs copied out of them into new packs.</summary>
    public long BlobsToCopy { get; init; }
    /// <summary>Sealed bytes copied.</summary>
    public long BytesToCopy { get; init; }
    /// <summary>Packs that stay.</summary>
    public int PacksToKeep { get; init; }
    /// <summary>Unused bytes left in the packs that stay.</summary>
    public long UnusedBytesAfter { get; init; }
    /// <summary>Packs in an archive class (cold), as the listing shows them.</summary>
    public int ArchivedPacks { get; init; }
    /// <summary>Their size.</summary>
    public long ArchivedBytes { get; init; }
    /// <summary>Archived packs deleted whole (no read needed; early-deletion fees may apply).</summary>
    public int ArchivedPacksToDelete { get; init; }
    /// <summary>Their size.</summary>
    public long ArchivedBytesToDelete { get; init; }
    /// <summary>Partly used archived packs kept as they are because repacking would read them (prune --thaw repacks them).</summary>
    public int ArchivedPacksKept { get; init; }
    /// <summary>Unused bytes in those packs.</summary>
    public long ArchivedUnusedBytesKept { get; init; }
    /// <summary>Archived packs chosen for repacking (only with <see cref="PruneOptions.RepackArchived"/>): they are thawed first.</summary>
    public int ArchivedPacksToRepack { get; init; }
    /// <summary>Their size.</summary>
    public long ArchivedBytesToRepack { get; init; }
    /// <summary>The most unused bytes the --max-unused limit tolerates after prune.</summary>
    public long MaxUnusedBytes { get; init; }
    /// <summary>What prune expects to free: deleted packs, plus repacked packs minus what is copied out of them.</summary>
    public long BytesToFree => BytesToDelete + UnindexedBytes + BytesToRepack - BytesToCopy;
}

/// <summary>
/// What prune found and will do. Made by <see cref="PrunePlanner"/>; carried out by <see cref="Pruner"/>. A plan with
/// <see cref="Problems"/> must not be carried out: the repository has missing or damaged data.
/// </summary>
public sealed class PrunePlan
{
    internal PrunePlan(IReadOnlyList<string> problems, int totalProblems, PruneStatistics statistics, IReadOnlyList<ObjectId> indexFiles,
        IReadOnlyList<PackUsage> packs, IReadOnlyList<PackUsage> unindexed)
    {
        Problems = problems;
        TotalProblems = totalProblems;
        Statistics = statistics;
        IndexFiles = indexFiles;
        Packs = packs;
        Unindexed = unindexed;
    }

    /// <summary>Why prune must not run (the first few problems), each a one-line message; empty when it may.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>How many problems were found in all (only the first few are kept in <see cref="Problems"/>).</summary>
    public int TotalProblems { get; }

    /// <summary>Counts and sizes.</summary>
    public PruneStatistics Statistics { get; }

    /// <summary>True when something would be deleted, repacked or merged.</summary>
    public bool HasWork => Problems.Count == 0 && (RewritesIndex || Statistics.UnindexedPacks > 0);

    /// <summary>True when packs that the index names go away, or index files overlap, so the index is rewritten.</summary>
    public bool RewritesIndex => Statistics.PacksToDelete + Statistics.PacksToRepack + Statistics.PacksListedAgain > 0;

    /// <summary>The index files the plan was made from; the new index supersedes exactly these.</summary>
    internal IReadOnlyList<ObjectId> IndexFiles { get; }

    /// <summary>Every indexed pack, with its action.</summary>
    internal IReadOnlyList<PackUsage> Packs { get; }

    /// <summary>Packs in the storage that no index names.</summary>
    internal IReadOnlyList<PackUsage> Unindexed { get; }

    /// <summary>
    /// The archived packs the plan repacks (empty unless <see cref="PruneOptions.RepackArchived"/>), as listed: they must
    /// be thawed before <see cref="Pruner.ExecuteAsync"/> reads them.
    /// </summary>
    public IReadOnlyList<Cairn.Storage.BlobInfo> ArchivedPacksToRepack =>
        [.. Packs.Where(p => p.Action == PackAction.Repack && p.IsArchived)
            .Select(p => new Cairn.Storage.BlobInfo(ContentStore.PackName(p.Id), p.Size, p.StorageClass, IsArchived: true))];
}
