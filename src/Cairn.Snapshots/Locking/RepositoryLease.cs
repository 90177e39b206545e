using Cairn.Storage;

namespace Cairn.Snapshots.Locking;

/// <summary>
/// A held repository lock. A background loop replaces the lock file every <see cref="LockOptions.RefreshInterval"/>
/// (write the new file, then delete the old one, so a lock file exists at every moment). Disposing stops the loop and
/// deletes the file.
/// </summary>
/// <remarks>
/// Authors of operations that remove or rewrite data (prune, forget, repair, key remove) MUST call
/// <see cref="EnsureValid"/> right before each phase that deletes or replaces anything, and SHOULD pass
/// <see cref="LostToken"/> into long work so it stops early. <see cref="Repository.SaveSnapshotAsync"/> checks the
/// lease of its repository by itself.
/// </remarks>
public sealed class RepositoryLease : IAsyncDisposable
{
    private readonly Repository _repository;
    private readonly LockOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _state = new();
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<BlobName> _leftovers = [];
    private readonly Task _loop;
    private LockFile _file;
    private BlobName _name;
    private DateTimeOffset _validUntil;
    private string? _lostReason;
    private Exception? _lastFailure;
    private int _disposed;

    internal RepositoryLease(Repository repository, LockFile file, BlobName name, LockOptions options, TimeProvider time)
    {
        _repository = repository;
        _options = options;
        _time = time;
        _file = file;
        _name = name;
        _validUntil = ValidUntilFor(file.Refreshed);
        _loop = Task.Run(() => RefreshLoopAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Shared or exclusive.</summary>
    public LockKind Kind => _file.Kind;

    /// <summary>The lock file as last written.</summary>
    public LockFile File
    {
        get
        {
            lock (_state) return _file;
        }
    }

    /// <summary>The name of the current lock file.</summary>
    public BlobName Name
    {
        get
        {
            lock (_state) return _name;
        }
    }

    /// <summary>
    /// Until when this holder may rely on its lock: the last refresh plus the lease, minus the safety margin. Others
    /// may remove the lock only after the full lease, so the margin absorbs clock differences between hosts.
    /// </summary>
    public DateTimeOffset ValidUntil
    {
        get
        {
            lock (_state) return _validUntil;
        }
    }

    /// <summary>Cancelled when the lease is lost (not refreshed in time, or its file removed by someone else).</summary>
    public CancellationToken LostToken => _lost.Token;

    /// <summary>True once the lease is lost; it is never regained.</summary>
    public bool IsLost
    {
        get
        {
            lock (_state) return _lostReason is not null;
        }
    }

    /// <summary>
    /// Throws a <see cref="CairnException"/> (exit code 11) if the lease is lost or past <see cref="ValidUntil"/>. Call it
    /// right before writing a snapshot and before every phase that deletes anything.
    /// </summary>
    public void EnsureValid()
    {
        string? reason;
        lock (_state)
        {
            reason = _lostReason;
            if (reason is null && _time.GetUtcNow() >= _validUntil) reason = ExpiredReason();
        }
        if (reason is null) return;
        MarkLost(reason);
        throw LostError(reason);
    }

    /// <summary>Replaces the lock file with a fresh one now (the background loop does this by itself).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureValid();
            BlobName oldName;
            LockFile next;
            lock (_state)
            {
                oldName = _name;
                var now = _time.GetUtcNow();
                next = _file with { Sequence = _file.Sequence + 1, Refreshed = now, Expires = now + _options.Lease };
            }
            try
            {
                // If our file is gone, someone removed it (unlock --remove-all, or judged stale): a conflicting operation may
                // have started since, so writing a new file would not make the lock ours again.
                await _repository.Blobs.StatAsync(oldName, cancellationToken).ConfigureAwait(false);
            }
            catch (BlobNotFoundException)
            {
                var reason = $"its lock file {oldName.Path} was removed by someone else ('cairn unlock --remove-all', or another host found it expired)";
                MarkLost(reason);
                throw LostError(reason);
            }
            var newName = await RepositoryLock.WriteAsync(_repository, next, cancellationToken).ConfigureAwait(false);
            lock (_state)
            {
                _file = next;
                _name = newName;
                _validUntil = ValidUntilFor(next.Refreshed);
                _lastFailure = null;
            }
            if (!await RepositoryLock.DeleteQuietlyAsync(_repository.Blobs, oldName).ConfigureAwait(false))
                lock (_state) _leftovers.Add(oldName);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            lock (_state) _lastFailure ??= e;
            throw;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>Stops refreshing and deletes the lock file (best effort: a file left behind goes stale by itself).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _refreshGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        List<BlobName> names;
        lock (_state) names = [.. _leftovers, _name];
        foreach (var name in names) await RepositoryLock.DeleteQuietlyAsync(_repository.Blobs, name).ConfigureAwait(false);
        _repository.Release(this);
        _refreshGate.Dispose();
        _stop.Dispose();
        _lost.Dispose();
    }

    private async Task RefreshLoopAsync(CancellationToken stop)
    {
        var delay = _options.RefreshInterval;
        while (!IsLost)
        {
            try
            {
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                await RefreshAsync(stop).ConfigureAwait(false);
                delay = _options.RefreshInterval;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (!IsLost)
            {
                // Try again soon, but wake up no later than the deadline, so LostToken fires on time.
                var left = ValidUntil - _time.GetUtcNow();
                delay = left < _options.RefreshRetryInterval ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : _options.RefreshRetryInterval;
            }
            catch (Exception)
            {
                return; // lost: EnsureValid reports it to the operation
            }
        }
    }

    private DateTimeOffset ValidUntilFor(DateTimeOffset refreshed) => refreshed + _options.Lease - _options.SafetyMargin;

    private string ExpiredReason()
    {
        var failure = _lastFailure is { } e ? $": {e.Message}" : "";
        return $"it could not be refreshed since {_file.Refreshed:u}{failure}";
    }

    private void MarkLost(string reason)
    {
        lock (_state)
        {
            if (_lostReason is not null) return;
            _lostReason = reason;
        }
        // Outside the state lock: cancellation runs the callbacks of linked tokens synchronously.
        try
        {
            _lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static CairnException LostError(string reason) =>
        new($"the repository lock was lost ({reason}): stopped before changing the repository further; run the command again", ExitCode.Locked);
}
