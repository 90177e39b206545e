using Cairn.Snapshots;

namespace Cairn.Archiving.Backup;

/// <summary>The outcome of a backup: the snapshot written (or that would have been, for a dry run) and its warnings.</summary>
public sealed record BackupResult(Snapshot Snapshot, bool DryRun)
{
    /// <summary>True if some files were skipped or may be inexact.</summary>
    public bool IsPartial => Snapshot.Status != SnapshotStatus.Complete;
}
