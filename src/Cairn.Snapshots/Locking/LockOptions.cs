namespace Cairn.Snapshots.Locking;

/// <summary>How a lock is taken and kept: who holds it, how long its lease lasts, how long to wait for a conflicting one.</summary>
public sealed record LockOptions
{
    /// <summary>What the holder is doing, shown to whoever meets the lock, e.g. "cairn backup /srv".</summary>
    public string Command { get; init; } = "";

    /// <summary>This machine's name. Together with the boot id and pid namespace it decides whether a pid can be checked here.</summary>
    public string Hostname { get; init; } = Environment.MachineName;

    /// <summary>The user running the operation.</summary>
    public string Username { get; init; } = Environment.UserName;

    /// <summary>How long a lock file stays valid after it was written; others may remove it once this has passed.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the holder writes a fresh lock file.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How soon a failed refresh is tried again.</summary>
    public TimeSpan RefreshRetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The holder gives its lease up this long before others may consider it expired, so that clocks that differ by
    /// less than this between hosts, and the time between a validity check and the write it guards, stay safe.
    /// </summary>
    public TimeSpan SafetyMargin { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to keep trying when a conflicting live lock exists (--retry-lock); zero fails at once.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.Zero;

    /// <summary>The longest pause between two attempts while waiting (pauses start at a second and double).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Receives one line for each stale lock removed and when waiting for a lock starts; may be null.</summary>
    public Action<string>? Notify { get; init; }

    internal void Validate()
    {
        if (Lease <= TimeSpan.Zero || RefreshInterval <= TimeSpan.Zero || RefreshRetryInterval <= TimeSpan.Zero || SafetyMargin < TimeSpan.Zero
            || RetryFor < TimeSpan.Zero || MaxRetryDelay <= TimeSpan.Zero)
            throw new ArgumentException("lock durations must be positive");
        // At least one refresh, and one retry of it, must fit before the holder's own deadline.
        if (RefreshInterval + RefreshRetryInterval >= Lease - SafetyMargin)
            throw new ArgumentException($"the lock refresh interval ({RefreshInterval}) plus one retry must be shorter than the lease ({Lease}) minus the safety margin ({SafetyMargin})");
    }
}

/// <summary>A lock to take while opening a repository, before its index is loaded (see <see cref="Repository.OpenAsync(Storage.IBlobStore, ReadOnlyMemory{byte}, CancellationToken, Content.ContentStoreOptions?, LockRequest?, bool)"/>).</summary>
public sealed record LockRequest(LockKind Kind, LockOptions Options, TimeProvider Time);
