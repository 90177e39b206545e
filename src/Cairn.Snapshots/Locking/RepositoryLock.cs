using System.Security.Cryptography;
using System.Text.Json;
using Cairn.Content;
using Cairn.Platform;
using Cairn.Storage;

namespace Cairn.Snapshots.Locking;

/// <summary>
/// Takes, lists and removes repository locks (locks/&lt;id&gt;). Stores offer no compare-and-swap, so a lock is taken
/// by writing it first and looking second: if a conflicting live lock is there, ours is deleted again and we back off.
/// </summary>
/// <remarks>
/// Why that is enough: with read-after-write listings, of two processes that each write, then list, the one that lists
/// last always sees the other's lock (it was written before the first one listed, hence before the second one listed).
/// So of two conflicting acquirers at least one backs off; sometimes both do, and their randomised pauses separate
/// the next attempts. A conflicting operation can therefore never start while a live lock is held.
/// </remarks>
public static class RepositoryLock
{
    private static readonly TimeSpan s_firstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Takes a lock and starts refreshing its lease in the background. The lease is attached to the repository
    /// (<see cref="Repository.Lease"/>, checked before every snapshot is written) and released when either is disposed.
    /// Stale locks found on the way are removed. Throws <see cref="RepositoryLockedException"/> if a conflicting live
    /// lock is still there after <see cref="LockOptions.RetryFor"/>.
    /// </summary>
    public static async Task<RepositoryLease> AcquireAsync(Repository repository, LockKind kind, LockOptions options, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        if (repository.Lease is not null) throw new InvalidOperationException("this repository is already locked by this process");
        var leaseId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var deadline = time.GetUtcNow() + options.RetryFor;
        var delay = s_firstRetryDelay;
        bool announced = false;
        while (true)
        {
            var now = time.GetUtcNow();
            var file = new LockFile
            {
                Kind = kind,
                LeaseId = leaseId,
                Hostname = options.Hostname,
                BootId = Processes.BootId,
                PidNamespace = Processes.PidNamespace,
                Pid = Environment.ProcessId,
                ProcessStart = Processes.CurrentStartTime,
                Username = options.Username,
                Command = options.Command,
                Created = now,
                Refreshed = now,
                LeaseSeconds = options.Lease.TotalSeconds,
                Expires = now + options.Lease,
            };
            var name = await WriteAsync(repository, file, cancellationToken).ConfigureAwait(false);
            List<LockEntry> conflicts;
            try
            {
                conflicts = await FindConflictsAsync(repository, kind, leaseId, options, time, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await DeleteQuietlyAsync(repository.Blobs, name).ConfigureAwait(false);
                throw;
            }
            if (conflicts.Count == 0)
            {
                var lease = new RepositoryLease(repository, file, name, options, time);
                repository.Lease = lease;
                return lease;
            }
            await DeleteQuietlyAsync(repository.Blobs, name).ConfigureAwait(false);
            now = time.GetUtcNow();
            if (now >= deadline) throw new RepositoryLockedException(conflicts, now);
            if (!announced)
            {
                options.Notify?.Invoke($"the repository is locked ({conflicts[0].Describe(now)}): waiting up to {LockFile.Age(deadline - now)} for it");
                announced = true;
            }
            // Random pauses keep two acquirers that keep meeting each other from meeting forever.
            var pause = delay * (0.5 + Random.Shared.NextDouble() / 2);
            await Task.Delay(pause < deadline - now ? pause : deadline - now, time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 < options.MaxRetryDelay ? delay * 2 : options.MaxRetryDelay;
        }
    }

    /// <summary>Reads and judges every lock file of the repository, as seen from <paramref name="hostname"/>.</summary>
    public static async Task<List<LockEntry>> ListAsync(Repository repository, TimeProvider time, string hostname, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(time);
        var names = new List<BlobName>();
        await foreach (var info in repository.Blobs.ListAsync(BlobKind.Lock, cancellationToken).ConfigureAwait(false)) names.Add(info.Name);
        var entries = new List<LockEntry>(names.Count);
        foreach (var name in names)
            if (await ReadAsync(repository, name, time, hostname, cancellationToken).ConfigureAwait(false) is { } entry)
                entries.Add(entry);
        return entries;
    }

    /// <summary>Deletes one lock file (for unlock; deleting a live lock takes the lease away from a running operation).</summary>
    public static Task RemoveAsync(Repository repository, LockEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(entry);
        return repository.Blobs.DeleteAsync(entry.Name, cancellationToken);
    }

    /// <summary>Seals and stores a lock file; returns its name. A failed put is cleaned up, in case it left a partial file.</summary>
    internal static async Task<BlobName> WriteAsync(Repository repository, LockFile file, CancellationToken cancellationToken)
    {
        var payload = file.ToJson();
        var name = new BlobName(BlobKind.Lock, repository.Content.Hasher.Compute(payload).ToString());
        try
        {
            await repository.Content.SaveFileAsync(BlobKind.Lock, ObjectType.Lock, payload, compress: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DeleteQuietlyAsync(repository.Blobs, name).ConfigureAwait(false);
            throw;
        }
        return name;
    }

    /// <summary>Best-effort delete: a lock file that stays behind goes stale by itself (its lease ends, or its process is gone).</summary>
    internal static async Task<bool> DeleteQuietlyAsync(IBlobStore blobs, BlobName name)
    {
        try
        {
            await blobs.DeleteAsync(name, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (StorageException)
        {
            return false;
        }
    }

    private static async Task<List<LockEntry>> FindConflictsAsync(Repository repository, LockKind kind, string leaseId, LockOptions options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var conflicts = new List<LockEntry>();
        foreach (var entry in await ListAsync(repository, time, options.Hostname, cancellationToken).ConfigureAwait(false))
        {
            if (entry.File?.LeaseId == leaseId) continue;
            if (entry.Status == LockStatus.Stale)
            {
                if (await DeleteQuietlyAsync(repository.Blobs, entry.Name).ConfigureAwait(false))
                    options.Notify?.Invoke($"removed stale lock {entry.ShortId}: {entry.File!.Describe(time.GetUtcNow())}: {entry.Reason}");
            }
            else if (entry.BlocksKind(kind))
            {
                conflicts.Add(entry);
            }
        }
        return conflicts;
    }

    private static async Task<LockEntry?> ReadAsync(Repository repository, BlobName name, TimeProvider time, string hostname, CancellationToken cancellationToken)
    {
        try
        {
            var payload = await repository.Content.LoadFileAsync(name, ObjectType.Lock, cancellationToken).ConfigureAwait(false);
            return LockEntry.Judge(name, LockFile.FromJson(payload), time.GetUtcNow(), hostname);
        }
        catch (BlobNotFoundException)
        {
            return null; // released between listing and reading
        }
        catch (IntegrityException e)
        {
            return new LockEntry(name, null, LockStatus.Unreadable, e.Message);
        }
        catch (JsonException e)
        {
            return new LockEntry(name, null, LockStatus.Unreadable, "not a lock file: " + e.Message);
        }
    }
}
