namespace Cairn.Snapshots.Locking;

/// <summary>A lock could not be taken because another operation holds a conflicting one; exit code 11.</summary>
public sealed class RepositoryLockedException : CairnException
{
    /// <summary>Creates the error for the locks in the way (at least one).</summary>
    public RepositoryLockedException(IReadOnlyList<LockEntry> holders, DateTimeOffset now)
        : base(Describe(holders, now), ExitCode.Locked) => Holders = holders;

    /// <summary>The live or unreadable locks that conflicted.</summary>
    public IReadOnlyList<LockEntry> Holders { get; }

    private static string Describe(IReadOnlyList<LockEntry> holders, DateTimeOffset now)
    {
        var first = holders[0];
        var more = holders.Count > 1 ? $" and {holders.Count - 1} more" : "";
        if (first.File is null)
            return $"the repository is locked by an {first.Describe(now)}{more}: if no other cairn is using the repository, remove it with 'cairn unlock --remove-all'";
        return $"the repository is locked: {first.Describe(now)}{more}. Wait for it to finish or retry with --retry-lock DURATION; " +
               $"if it died, 'cairn unlock' removes its lock once the lease ends in {LockFile.Age(first.File.Expires - now)} (or 'cairn unlock --remove-all' now, if you are sure)";
    }
}
