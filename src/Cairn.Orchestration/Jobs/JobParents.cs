using Cairn.Snapshots;

namespace Cairn.Orchestration.Jobs;

/// <summary>Finds the snapshot a job run compares against for unchanged files.</summary>
public static class JobParents
{
    /// <summary>
    /// The job's newest snapshot made on <paramref name="hostname"/> for <paramref name="instance"/>, or null. Failed
    /// snapshots count too: what they stored is intact, and their file trees still save reading unchanged files.
    /// </summary>
    public static async Task<Snapshot?> FindAsync(Repository repository, string job, string hostname, string? instance, CancellationToken cancellationToken)
    {
        var candidates = await repository.ListSnapshotsAsync(new SnapshotFilter { Hosts = [hostname] }, cancellationToken).ConfigureAwait(false);
        return candidates.LastOrDefault(s => s.Job == job && s.Instance == instance);
    }
}
