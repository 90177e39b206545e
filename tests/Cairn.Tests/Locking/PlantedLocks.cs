using Cairn.Content;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;
using Cairn.Storage;

namespace Cairn.Tests.Locking;

/// <summary>Lock files as another process (maybe one that died, maybe on another host) would have left them.</summary>
internal static class PlantedLocks
{
    /// <summary>A "cairn prune" lock whose lease was last refreshed at <paramref name="refreshed"/>.</summary>
    public static LockFile Make(LockKind kind, string hostname, int pid, ulong processStart, DateTimeOffset refreshed, TimeSpan lease) => new()
    {
        Kind = kind,
        LeaseId = Guid.NewGuid().ToString("N"),
        Hostname = hostname,
        BootId = Processes.BootId,
        PidNamespace = Processes.PidNamespace,
        Pid = pid,
        ProcessStart = processStart,
        Username = "operator",
        Command = "cairn prune",
        Created = refreshed,
        Refreshed = refreshed,
        LeaseSeconds = lease.TotalSeconds,
        Expires = refreshed + lease,
    };

    /// <summary>Seals and stores the lock file; returns its name.</summary>
    public static async Task<BlobName> PlantAsync(Repository repository, LockFile file)
    {
        var id = await repository.Content.SaveFileAsync(BlobKind.Lock, ObjectType.Lock, file.ToJson(), compress: false, CancellationToken.None);
        return new BlobName(BlobKind.Lock, id.ToString());
    }
}
