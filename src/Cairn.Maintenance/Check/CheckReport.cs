using Cairn.Content;
using Cairn.Snapshots;

namespace Cairn.Maintenance.Check;

/// <summary>An index or snapshot file that cannot be read or decoded.</summary>
public sealed record DamagedFile(string Name, string Problem);

/// <summary>A pack that is missing, has the wrong size, or whose header does not match the index.</summary>
public sealed record DamagedPack(ObjectId PackId, string Problem);

/// <summary>
/// One stored copy of a blob that cannot be read back intact (or a referenced blob with no copy at all:
/// <see cref="PackId"/> null). <see cref="HasIntactCopy"/> tells whether another copy in another pack still serves it.
/// </summary>
public sealed record DamagedBlob(ObjectId Id, ObjectType Type, ObjectId? PackId, string Problem, bool HasIntactCopy);

/// <summary>
/// A file or directory of a snapshot that lost data: a file whose chunks are lost, or a directory whose listing (tree) is.
/// <see cref="Path"/> is the absolute display path in the snapshot ("/" when the root tree itself is lost).
/// </summary>
public sealed record AffectedEntry(ObjectId SnapshotId, string Path, bool IsDirectory, IReadOnlyList<ObjectId> LostBlobs);

/// <summary>A tree that is in an archived pack, so the check did not read it (or anything below it); not damage.</summary>
public sealed record ColdTree(ObjectId TreeId, string Path);

/// <summary>What <see cref="Checker"/> looked at and what it found. Lists are sorted, so reports compare across runs.</summary>
public sealed class CheckReport
{
    /// <summary>Snapshot files that were read.</summary>
    public int Snapshots { get; init; }

    /// <summary>Index files that were read (damaged ones included).</summary>
    public int IndexFiles { get; init; }

    /// <summary>Pack files in storage.</summary>
    public int Packs { get; init; }

    /// <summary>Distinct blobs the index lists.</summary>
    public long IndexedBlobs { get; init; }

    /// <summary>Trees reachable from the snapshots.</summary>
    public long Trees { get; init; }

    /// <summary>Data chunks referenced by the snapshots.</summary>
    public long DataBlobs { get; init; }

    /// <summary>Which packs were read with --read-data, or null if none.</summary>
    public string? ReadDataSubset { get; init; }

    /// <summary>Packs whose blobs were read and verified.</summary>
    public int PacksRead { get; init; }

    /// <summary>Blobs read and verified.</summary>
    public long BlobsRead { get; init; }

    /// <summary>Bytes read from packs.</summary>
    public long BytesRead { get; init; }

    /// <summary>Index files that fail to decrypt or decode (their packs then look unreferenced).</summary>
    public IReadOnlyList<DamagedFile> DamagedIndexFiles { get; init; } = [];

    /// <summary>Snapshot files that fail to decrypt or decode.</summary>
    public IReadOnlyList<DamagedFile> DamagedSnapshots { get; init; } = [];

    /// <summary>Pack-level problems, one entry per problem.</summary>
    public IReadOnlyList<DamagedPack> DamagedPacks { get; init; } = [];

    /// <summary>Damaged or missing blobs, one entry per damaged copy.</summary>
    public IReadOnlyList<DamagedBlob> DamagedBlobs { get; init; } = [];

    /// <summary>The snapshot entries that lost data, by snapshot then path.</summary>
    public IReadOnlyList<AffectedEntry> Affected { get; init; } = [];

    /// <summary>Packs that no index file names: left by interrupted backups (not damage; prune removes them).</summary>
    public IReadOnlyList<ObjectId> UnreferencedPacks { get; init; } = [];

    /// <summary>Packs the storage listing shows in an archive class (S3 GLACIER/DEEP_ARCHIVE, Azure Archive).</summary>
    public int ArchivedPacks { get; init; }

    /// <summary>Their total size.</summary>
    public long ArchivedBytes { get; init; }

    /// <summary>The archive classes they are in.</summary>
    public IReadOnlyList<string> ArchivedClasses { get; init; } = [];

    /// <summary>
    /// Archived packs whose header the structure check would have read (their index entries leave gaps, so the size alone
    /// proves nothing) and did not: cold, not read. Not damage.
    /// </summary>
    public IReadOnlyList<ObjectId> ColdPackHeaders { get; init; } = [];

    /// <summary>Trees in archived packs (only in repositories whose packs mix trees and data): not read, nor what is below them.</summary>
    public IReadOnlyList<ColdTree> ColdTrees { get; init; } = [];

    /// <summary>The snapshots that could be read, oldest first (for repair; not part of the printed report).</summary>
    public IReadOnlyList<Snapshot> SnapshotList { get; init; } = [];

    /// <summary>Blobs with no intact copy left: what snapshots lose, and what <c>repair snapshots</c> cuts out.</summary>
    public IReadOnlySet<ObjectId> LostBlobs => _lost ??= DamagedBlobs.Where(b => !b.HasIntactCopy).Select(b => b.Id).ToHashSet();

    private HashSet<ObjectId>? _lost;

    /// <summary>True when nothing is damaged or missing (unreferenced packs do not count).</summary>
    public bool IsClean => DamagedIndexFiles.Count == 0 && DamagedSnapshots.Count == 0 && DamagedPacks.Count == 0 && DamagedBlobs.Count == 0;
}
