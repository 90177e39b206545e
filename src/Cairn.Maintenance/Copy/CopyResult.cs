using Cairn.Content;
using Cairn.Snapshots;

namespace Cairn.Maintenance.Copy;

/// <summary>What copy did with one selected source snapshot.</summary>
public enum CopyAction
{
    /// <summary>Written to the destination (in a dry run: would have been).</summary>
    Copied,
    /// <summary>The destination already has it, as the same id (related repositories) or as a snapshot copied from it.</summary>
    Skipped,
}

/// <summary>One selected source snapshot: whether it was copied, under which id, and what it added to the destination.</summary>
/// <param name="Source">The snapshot in the source repository.</param>
/// <param name="Action">Copied or skipped.</param>
/// <param name="CopyId">Its id in the destination: the existing copy when skipped; null for a copy in a dry run.</param>
/// <param name="BlobsAdded">New blobs (chunks and trees) stored in the destination for it.</param>
/// <param name="BytesAdded">Their plaintext bytes.</param>
/// <param name="BytesAddedStored">The bytes they take in the destination (compressed, encrypted).</param>
/// <param name="BlobsRead">Blobs read from the source for it (chunks and trees).</param>
/// <param name="BytesRead">Their plaintext bytes.</param>
public sealed record SnapshotCopyOutcome(Snapshot Source, CopyAction Action, ObjectId? CopyId,
    long BlobsAdded, long BytesAdded, long BytesAddedStored, long BlobsRead, long BytesRead);

/// <summary>The outcome of a copy run.</summary>
public sealed record CopyResult
{
    /// <summary>True when the repositories share their master secret, so blobs and snapshots kept their ids.</summary>
    public required bool Related { get; init; }

    /// <summary>Nothing was written.</summary>
    public required bool DryRun { get; init; }

    /// <summary>Every selected snapshot, oldest first.</summary>
    public required IReadOnlyList<SnapshotCopyOutcome> Snapshots { get; init; }

    /// <summary>Trees read from both repositories to learn the id translation from earlier copies (unrelated repositories only).</summary>
    public required long SeedTreesRead { get; init; }

    /// <summary>Snapshots copied (or, in a dry run, that would be).</summary>
    public int Copied => Snapshots.Count(s => s.Action == CopyAction.Copied);

    /// <summary>Snapshots already in the destination.</summary>
    public int Skipped => Snapshots.Count(s => s.Action == CopyAction.Skipped);

    /// <summary>New blobs stored in the destination.</summary>
    public long BlobsAdded => Snapshots.Sum(s => s.BlobsAdded);

    /// <summary>Plaintext bytes of the new blobs.</summary>
    public long BytesAdded => Snapshots.Sum(s => s.BytesAdded);

    /// <summary>Bytes the new blobs take in the destination.</summary>
    public long BytesAddedStored => Snapshots.Sum(s => s.BytesAddedStored);

    /// <summary>Blobs read from the source to copy snapshots (not counting <see cref="SeedTreesRead"/>).</summary>
    public long BlobsRead => Snapshots.Sum(s => s.BlobsRead);

    /// <summary>Plaintext bytes read from the source.</summary>
    public long BytesRead => Snapshots.Sum(s => s.BytesRead);
}
