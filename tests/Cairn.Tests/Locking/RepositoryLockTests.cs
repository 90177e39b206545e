using System.Diagnostics;
using System.Text;
using Cairn.Archiving.Backup;
using Cairn.Content;
using Cairn.Content.Crypto;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;
using Cairn.Storage;

namespace Cairn.Tests.Locking;

public sealed class RepositoryLockTests : IAsyncLifetime
{
    private static readonly byte[] s_password = "lock test"u8.ToArray();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly HookedBlobStore _store = new(new InMemoryBlobStore());
    private readonly List<Repository> _opened = [];

    public async Task InitializeAsync() =>
        _opened.Add(await Repository.InitAsync(_store, s_password, new RepositoryInitOptions { Kdf = KdfParameters.ForTests }, _time, CancellationToken.None));

    public async Task DisposeAsync()
    {
        foreach (var repository in _opened) await repository.DisposeAsync();
    }

    /// <summary>A second handle on the same store, as another process would open it.</summary>
    private async Task<Repository> OpenAsync()
    {
        var repository = await Repository.OpenAsync(_store, s_password, CancellationToken.None);
        _opened.Add(repository);
        return repository;
    }

    private static LockOptions Options(string command, string? hostname = null) =>
        new() { Command = command, Hostname = hostname ?? Environment.MachineName };

    private Task<RepositoryLease> AcquireAsync(Repository repository, LockKind kind, LockOptions options) =>
        RepositoryLock.AcquireAsync(repository, kind, options, _time, CancellationToken.None);

    private async Task<List<string>> LockNamesAsync()
    {
        var names = new List<string>();
        await foreach (var info in _store.ListAsync(BlobKind.Lock)) names.Add(info.Name.Name);
        return names;
    }

    private LockFile Planted(LockKind kind, string hostname, int pid, ulong processStart, TimeSpan lease) =>
        PlantedLocks.Make(kind, hostname, pid, processStart, _time.GetUtcNow(), lease);

    private Task<BlobName> PlantAsync(LockFile file) => PlantedLocks.PlantAsync(_opened[0], file);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), "timed out waiting until " + what);
            await Task.Delay(5);
        }
    }

    /// <summary>Moves the clock a minute at a time, letting the lease's background loop run after each step.</summary>
    private async Task AdvanceAsync(RepositoryLease lease, TimeSpan total)
    {
        for (var moved = TimeSpan.Zero; moved < total; moved += TimeSpan.FromMinutes(1))
        {
            await WaitUntilAsync(() => _time.ActiveTimers >= 1 || lease.IsLost, "the refresh loop sleeps");
            _time.Advance(TimeSpan.FromMinutes(1));
        }
        await WaitUntilAsync(() => _time.ActiveTimers >= 1 || lease.IsLost, "the refresh loop sleeps");
    }

    [Fact]
    public async Task Shared_locks_coexist_and_each_deletes_only_its_own_file()
    {
        var first = await AcquireAsync(_opened[0], LockKind.Shared, Options("cairn backup /a"));
        var second = await AcquireAsync(await OpenAsync(), LockKind.Shared, Options("cairn backup /b", "otherhost"));
        Assert.Equal(2, (await LockNamesAsync()).Count);
        await first.DisposeAsync();
        Assert.Equal([second.Name.Name], await LockNamesAsync());
        Assert.Null(_opened[0].Lease);
        await second.DisposeAsync();
        Assert.Empty(await LockNamesAsync());
    }

    [Theory]
    [InlineData(LockKind.Shared, LockKind.Exclusive)]
    [InlineData(LockKind.Exclusive, LockKind.Shared)]
    [InlineData(LockKind.Exclusive, LockKind.Exclusive)]
    public async Task A_conflicting_live_lock_makes_acquisition_fail_at_once_naming_the_holder(LockKind held, LockKind wanted)
    {
        await using var holder = await AcquireAsync(_opened[0], held, Options("cairn prune --max-unused 5%", "db1"));
        var contender = await OpenAsync();
        var error = await Assert.ThrowsAsync<RepositoryLockedException>(() => AcquireAsync(contender, wanted, Options("cairn backup /srv")));
        Assert.Equal(ExitCode.Locked, error.ExitCode);
        Assert.Contains("'cairn prune --max-unused 5%'", error.Message, StringComparison.Ordinal);
        Assert.Contains("host db1", error.Message, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId}", error.Message, StringComparison.Ordinal);
        Assert.Contains(held == LockKind.Exclusive ? "exclusive lock" : "shared lock", error.Message, StringComparison.Ordinal);
        Assert.Single(error.Holders);
        // The contender wrote its lock, saw the conflict and deleted it again.
        Assert.Equal([holder.Name.Name], await LockNamesAsync());
        Assert.Null(contender.Lease);
    }

    /// <summary>Holds the first two callers until both have arrived; later callers pass.</summary>
    private static Func<T, Task> MeetingPoint<T>(Func<T, bool> applies)
    {
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int arrived = 0;
        return item =>
        {
            if (!applies(item)) return Task.CompletedTask;
            int n = Interlocked.Increment(ref arrived);
            if (n == 2) both.SetResult();
            return n <= 2 ? both.Task : Task.CompletedTask;
        };
    }

    [Theory]
    [InlineData(LockKind.Shared)]
    [InlineData(LockKind.Exclusive)]
    public async Task Two_conflicting_writers_that_write_and_list_in_lockstep_never_both_proceed(LockKind other)
    {
        // The worst interleaving for write-then-list: both write, then both list, so each lists the other's file. At
        // most one proceeds: the other backs off, or both do (one may find the other's file already deleted again,
        // which is safe: that one has given up). Had they listed before writing, both would have found nothing and
        // both would have gone ahead.
        _store.AfterPut = MeetingPoint<BlobName>(name => name.Kind == BlobKind.Lock);
        _store.AfterList = MeetingPoint<BlobKind>(kind => kind == BlobKind.Lock);
        var second = await OpenAsync();
        var attempts = new[]
        {
            AcquireAsync(_opened[0], LockKind.Exclusive, Options("cairn prune")),
            AcquireAsync(second, other, Options("cairn backup /srv", "otherhost")),
        };
        try
        {
            await Task.WhenAll(attempts);
        }
        catch (RepositoryLockedException)
        {
        }
        var winners = attempts.Where(a => a.IsCompletedSuccessfully).Select(a => a.Result).ToList();
        Assert.True(winners.Count <= 1, "both conflicting writers took the lock");
        Assert.All(attempts.Where(a => !a.IsCompletedSuccessfully), a => Assert.IsType<RepositoryLockedException>(a.Exception!.InnerException));
        Assert.Equal(winners.Select(w => w.Name.Name), await LockNamesAsync());
    }

    [Fact]
    public async Task A_lock_whose_lease_expired_is_stale_and_cleared_when_acquiring()
    {
        // Another host's lock: its process cannot be checked from here, so only its lease decides.
        var planted = await PlantAsync(Planted(LockKind.Exclusive, "elsewhere", 4242, 1, TimeSpan.FromMinutes(30)));
        var repository = await OpenAsync();
        await Assert.ThrowsAsync<RepositoryLockedException>(() => AcquireAsync(repository, LockKind.Shared, Options("cairn backup /srv")));
        _time.Advance(TimeSpan.FromMinutes(29));
        await Assert.ThrowsAsync<RepositoryLockedException>(() => AcquireAsync(repository, LockKind.Shared, Options("cairn backup /srv")));
        _time.Advance(TimeSpan.FromMinutes(1));
        var notices = new List<string>();
        await using var lease = await AcquireAsync(repository, LockKind.Shared, Options("cairn backup /srv") with { Notify = notices.Add });
        Assert.DoesNotContain(planted.Name, await LockNamesAsync());
        Assert.Contains(notices, n => n.Contains($"removed stale lock {planted.Name[..8]}", StringComparison.Ordinal) && n.Contains("lease expired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_same_host_lock_whose_process_is_gone_is_stale_and_one_whose_process_runs_is_not()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        var start = Processes.StartTime(child.Id);
        Assert.NotNull(start);
        var file = Planted(LockKind.Exclusive, Environment.MachineName, child.Id, start.Value, TimeSpan.FromHours(1));
        var name = await PlantAsync(file);
        var now = _time.GetUtcNow();
        Assert.Equal(LockStatus.Live, LockEntry.Judge(name, file, now, Environment.MachineName).Status);
        // Another host sees the same lock: it cannot check the pid, so the lock stays live there in any case.
        Assert.Equal(LockStatus.Live, LockEntry.Judge(name, file, now, "otherhost").Status);
        await Assert.ThrowsAsync<RepositoryLockedException>(() => AcquireAsync(_opened[0], LockKind.Shared, Options("cairn backup /srv")));

        child.Kill();
        await child.WaitForExitAsync();
        var judged = LockEntry.Judge(name, file, now, Environment.MachineName);
        Assert.Equal(LockStatus.Stale, judged.Status);
        Assert.Contains($"process {child.Id} on this host is gone", judged.Reason, StringComparison.Ordinal);
        Assert.Equal(LockStatus.Live, LockEntry.Judge(name, file, now, "otherhost").Status);

        await using var lease = await AcquireAsync(_opened[0], LockKind.Exclusive, Options("cairn prune"));
        Assert.Equal([lease.Name.Name], await LockNamesAsync());
    }

    [Fact]
    public void A_reused_pid_is_told_apart_by_its_start_time()
    {
        var file = Planted(LockKind.Shared, Environment.MachineName, Environment.ProcessId, Processes.CurrentStartTime + 1, TimeSpan.FromHours(1));
        var name = new BlobName(BlobKind.Lock, new string('a', 64));
        Assert.Equal(LockStatus.Stale, LockEntry.Judge(name, file, _time.GetUtcNow(), Environment.MachineName).Status);
        var ours = file with { ProcessStart = Processes.CurrentStartTime };
        Assert.Equal(LockStatus.Live, LockEntry.Judge(name, ours, _time.GetUtcNow(), Environment.MachineName).Status);
        // From an earlier boot the pid means nothing; the lock is judged by its lease alone.
        var earlierBoot = file with { BootId = "00000000-0000-0000-0000-000000000000" };
        Assert.Equal(LockStatus.Live, LockEntry.Judge(name, earlierBoot, _time.GetUtcNow(), Environment.MachineName).Status);
    }

    [Fact]
    public async Task Refreshing_keeps_a_lease_alive_far_beyond_its_length_with_one_file_at_a_time()
    {
        await using var lease = await AcquireAsync(_opened[0], LockKind.Exclusive, Options("cairn prune"));
        var contender = await OpenAsync();
        for (int hour = 0; hour < 2; hour++)
        {
            await AdvanceAsync(lease, TimeSpan.FromHours(1));
            Assert.Single(await LockNamesAsync());
            lease.EnsureValid();
            var error = await Assert.ThrowsAsync<RepositoryLockedException>(() => AcquireAsync(contender, LockKind.Shared, Options("cairn backup /srv")));
            Assert.Contains("cairn prune", error.Message, StringComparison.Ordinal);
        }
        Assert.True(lease.File.Sequence >= 20, $"only {lease.File.Sequence} refreshes in two hours");
        Assert.Equal(_time.GetUtcNow().AddMinutes(30), lease.File.Expires, TimeSpan.FromMinutes(6));
        Assert.Equal(lease.File.Refreshed.AddMinutes(30), lease.File.Expires);
        Assert.False(lease.LostToken.IsCancellationRequested);
    }

    [Fact]
    public async Task A_lease_that_cannot_be_refreshed_is_lost_and_the_backup_writes_no_snapshot()
    {
        var repository = _opened[0];
        var lease = await AcquireAsync(repository, LockKind.Shared, Options("cairn backup"));
        _store.FailPut = name => name.Kind == BlobKind.Lock;
        await AdvanceAsync(lease, TimeSpan.FromMinutes(19));
        lease.EnsureValid(); // failures so far are retried; the lease still has its safety margin
        Assert.False(lease.IsLost);
        await AdvanceAsync(lease, TimeSpan.FromMinutes(3));
        Assert.True(lease.IsLost);
        Assert.True(lease.LostToken.IsCancellationRequested);
        var error = Assert.Throws<CairnException>(lease.EnsureValid);
        Assert.Equal(ExitCode.Locked, error.ExitCode);
        Assert.Contains("could not be refreshed", error.Message, StringComparison.Ordinal);
        Assert.Contains("test: put of lock", error.Message, StringComparison.Ordinal);

        var source = Path.Combine(Path.GetTempPath(), "cairn-lock-src-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(source);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(source, "file.txt"), "content");
            var archiver = new Archiver(repository, new BackupOptions { Paths = [source], Workers = 1 }, _time);
            var refused = await Assert.ThrowsAsync<CairnException>(() => archiver.RunAsync(CancellationToken.None));
            Assert.Equal(ExitCode.Locked, refused.ExitCode);
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
        await foreach (var _ in _store.ListAsync(BlobKind.Snapshot)) Assert.Fail("a snapshot was written after the lease was lost");
        _store.FailPut = _ => false;
        await repository.DisposeAsync();
        _opened.Remove(repository);
        Assert.Empty(await LockNamesAsync());
    }

    [Fact]
    public async Task A_lease_whose_file_was_removed_by_someone_else_is_lost_at_the_next_refresh()
    {
        await using var lease = await AcquireAsync(_opened[0], LockKind.Exclusive, Options("cairn prune"));
        await _store.DeleteAsync(lease.Name);
        await AdvanceAsync(lease, TimeSpan.FromMinutes(5));
        Assert.True(lease.IsLost);
        var error = Assert.Throws<CairnException>(lease.EnsureValid);
        Assert.Contains("removed by someone else", error.Message, StringComparison.Ordinal);
        Assert.Empty(await LockNamesAsync()); // it did not write itself back
    }

    [Fact]
    public async Task An_unreadable_lock_blocks_every_kind_and_is_not_removed_automatically()
    {
        var name = new BlobName(BlobKind.Lock, new string('7', 64));
        await _store.PutAsync(name, Encoding.UTF8.GetBytes("not a sealed lock"));
        foreach (var kind in new[] { LockKind.Shared, LockKind.Exclusive })
        {
            var error = await Assert.ThrowsAsync<RepositoryLockedException>(() => AcquireAsync(_opened[0], kind, Options("cairn backup")));
            Assert.Contains("unreadable lock file locks/7777", error.Message, StringComparison.Ordinal);
            Assert.Contains("cairn unlock --remove-all", error.Message, StringComparison.Ordinal);
        }
        _time.Advance(TimeSpan.FromDays(2));
        var entries = await RepositoryLock.ListAsync(_opened[0], _time, Environment.MachineName, CancellationToken.None);
        Assert.Equal(LockStatus.Unreadable, Assert.Single(entries).Status);
    }

    [Fact]
    public async Task Lock_files_are_sealed_and_bound_to_their_type()
    {
        await using var lease = await AcquireAsync(_opened[0], LockKind.Shared, Options("cairn backup /very/visible/path"));
        var bytes = await _store.GetAsync(lease.Name);
        Assert.DoesNotContain("visible", Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
        await Assert.ThrowsAsync<IntegrityException>(() => _opened[0].Content.LoadFileAsync(lease.Name, ObjectType.Snapshot, CancellationToken.None));
        var payload = await _opened[0].Content.LoadFileAsync(lease.Name, ObjectType.Lock, CancellationToken.None);
        var file = LockFile.FromJson(payload);
        Assert.Equal(LockKind.Shared, file.Kind);
        Assert.Equal(Environment.ProcessId, file.Pid);
        Assert.Equal(Processes.CurrentStartTime, file.ProcessStart);
        Assert.Equal("cairn backup /very/visible/path", file.Command);
    }

    [Fact]
    public void A_lock_from_a_newer_format_counts_as_exclusive()
    {
        var json = """{"version":2,"kind":"shared","lease_id":"x","hostname":"h","kind_of_future":1,"expires":"2999-01-01T00:00:00+00:00"}"""u8;
        var file = LockFile.FromJson(json);
        Assert.Equal(LockKind.Exclusive, file.EffectiveKind);
        Assert.True(file.ConflictsWith(LockKind.Shared));
        Assert.Equal(LockKind.Exclusive, LockFile.FromJson("""{"version":1,"kind":"intent","lease_id":"x","hostname":"h"}"""u8).Kind);
    }

    [Fact]
    public async Task Retry_lock_waits_for_the_holder_and_then_acquires()
    {
        var holder = await AcquireAsync(_opened[0], LockKind.Exclusive, Options("cairn prune"));
        var contender = await OpenAsync();
        var notices = new List<string>();
        var waiting = AcquireAsync(contender, LockKind.Shared, Options("cairn backup") with { RetryFor = TimeSpan.FromMinutes(10), Notify = notices.Add });
        // Holder's refresh loop plus the contender's pause between attempts.
        await WaitUntilAsync(() => _time.ActiveTimers == 2, "the contender pauses");
        Assert.False(waiting.IsCompleted);
        Assert.Contains(notices, n => n.Contains("waiting up to 10m0s", StringComparison.Ordinal) && n.Contains("cairn prune", StringComparison.Ordinal));
        await holder.DisposeAsync();
        for (int i = 0; i < 60 && !waiting.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            await WaitUntilAsync(() => waiting.IsCompleted || _time.ActiveTimers >= 1, "the contender tries again");
        }
        await using var lease = await waiting;
        Assert.Equal(LockKind.Shared, lease.Kind);
    }

    [Fact]
    public async Task Retry_lock_gives_up_after_its_duration()
    {
        await using var holder = await AcquireAsync(_opened[0], LockKind.Exclusive, Options("cairn prune"));
        var waiting = AcquireAsync(await OpenAsync(), LockKind.Exclusive, Options("cairn prune") with { RetryFor = TimeSpan.FromMinutes(2) });
        for (int i = 0; i < 200 && !waiting.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            await WaitUntilAsync(() => waiting.IsCompleted || _time.ActiveTimers >= 2, "the contender tries again");
        }
        await Assert.ThrowsAsync<RepositoryLockedException>(() => waiting);
        Assert.InRange(_time.GetUtcNow() - new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2.2));
    }

    [Fact]
    public async Task Opening_with_a_lock_request_locks_before_the_index_is_read_and_disposing_releases_it()
    {
        var request = new LockRequest(LockKind.Exclusive, Options("cairn prune"), _time);
        var repository = await Repository.OpenAsync(_store, s_password, CancellationToken.None, lockRequest: request);
        Assert.NotNull(repository.Lease);
        Assert.Single(await LockNamesAsync());
        await Assert.ThrowsAsync<RepositoryLockedException>(() => Repository.OpenAsync(_store, s_password, CancellationToken.None, lockRequest: request));
        await repository.DisposeAsync();
        Assert.Empty(await LockNamesAsync());
    }

    [Fact]
    public async Task Options_whose_refresh_does_not_fit_in_the_lease_are_refused()
    {
        var bad = Options("x") with { Lease = TimeSpan.FromMinutes(10), RefreshInterval = TimeSpan.FromMinutes(5), SafetyMargin = TimeSpan.FromMinutes(5) };
        await Assert.ThrowsAsync<ArgumentException>(() => AcquireAsync(_opened[0], LockKind.Shared, bad));
        Assert.Empty(await LockNamesAsync());
    }
}
