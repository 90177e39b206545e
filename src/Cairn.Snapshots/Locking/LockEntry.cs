using Cairn.Platform;
using Cairn.Storage;

namespace Cairn.Snapshots.Locking;

/// <summary>What a lock file found in the repository means right now.</summary>
public enum LockStatus
{
    /// <summary>Its holder may be running: it must be respected.</summary>
    Live,
    /// <summary>Its lease expired, or its holder on this host is gone: anyone may remove it.</summary>
    Stale,
    /// <summary>It cannot be authenticated or parsed. It is respected as an exclusive lock and only removed by hand.</summary>
    Unreadable,
}

/// <summary>One lock file of a repository, as read and judged by this process.</summary>
/// <param name="Name">The blob, locks/&lt;id&gt;.</param>
/// <param name="File">Its content; null when <see cref="Status"/> is <see cref="LockStatus.Unreadable"/>.</param>
/// <param name="Status">Live, stale or unreadable.</param>
/// <param name="Reason">Why: "its lease expired 3m0s ago", "its process is gone", the decoding error, or when the lease ends.</param>
public sealed record LockEntry(BlobName Name, LockFile? File, LockStatus Status, string Reason)
{
    /// <summary>The first 8 hex digits of the lock's id.</summary>
    public string ShortId => Name.Name.Length > 8 ? Name.Name[..8] : Name.Name;

    /// <summary>True if a holder of a <paramref name="kind"/> lock may not run while this lock exists.</summary>
    public bool BlocksKind(LockKind kind) => Status switch
    {
        LockStatus.Live => File!.ConflictsWith(kind),
        LockStatus.Unreadable => true,
        _ => false,
    };

    /// <summary>One line for messages.</summary>
    public string Describe(DateTimeOffset now) =>
        File is { } file ? $"{file.Describe(now)}, lock {ShortId}" : $"unreadable lock file {Name.Path} ({Reason})";

    /// <summary>Judges a lock that was read successfully, as seen from <paramref name="hostname"/> at <paramref name="now"/>.</summary>
    public static LockEntry Judge(BlobName name, LockFile file, DateTimeOffset now, string hostname)
    {
        if (now >= file.Expires)
            return new LockEntry(name, file, LockStatus.Stale, $"its lease expired {LockFile.Age(now - file.Expires)} ago");
        if (IsOnThisHost(file, hostname) && Processes.Probe(file.Pid, file.ProcessStart) == ProcessState.Gone)
            return new LockEntry(name, file, LockStatus.Stale, $"its process {file.Pid} on this host is gone");
        return new LockEntry(name, file, LockStatus.Live, $"its lease runs for {LockFile.Age(file.Expires - now)} more unless refreshed");
    }

    // A pid can only be checked where it means the same process: same host name, same boot, same pid namespace. A lock
    // from before a reboot (other boot id) is not judged by pid, because a host renamed to a clashing name cannot be told
    // apart from a reboot; its lease runs out instead. A newer format's lock is judged by its lease alone.
    private static bool IsOnThisHost(LockFile file, string hostname) =>
        file.Version <= LockFile.CurrentVersion
        && string.Equals(file.Hostname, hostname, StringComparison.Ordinal)
        && file.BootId.Length > 0 && file.BootId == Processes.BootId
        && file.PidNamespace.Length > 0 && file.PidNamespace == Processes.PidNamespace;
}
