using System.Diagnostics;
using System.Text;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;
using Cairn.Storage;
using Cairn.Tests.Locking;

namespace Cairn.Tests.Cli;

/// <summary>End-to-end tests of repository locks: backup against held locks, --retry-lock, unlock, concurrent backups.</summary>
public sealed class CliLockTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new();
    private Repository? _other;

    public Task InitializeAsync() => _cli.InitAsync();

    public async Task DisposeAsync()
    {
        if (_other is not null) await _other.DisposeAsync();
        _cli.Dispose();
    }

    /// <summary>The repository as another cairn process would open it.</summary>
    private async Task<Repository> OtherProcessAsync() =>
        _other ??= await Repository.OpenAsync(new LocalBlobStore(_cli.Repo), Encoding.UTF8.GetBytes(CliHarness.Password), CancellationToken.None);

    private async Task<RepositoryLease> HoldAsync(LockKind kind, string command, string hostname) =>
        await RepositoryLock.AcquireAsync(await OtherProcessAsync(), kind, new LockOptions { Command = command, Hostname = hostname },
            TimeProvider.System, CancellationToken.None);

    private async Task<BlobName> PlantAsync(LockKind kind, string hostname, int pid, ulong start, DateTimeOffset expires) =>
        await PlantedLocks.PlantAsync(await OtherProcessAsync(), PlantedLocks.Make(kind, hostname, pid, start, expires.AddMinutes(-30), TimeSpan.FromMinutes(30)));

    [Fact]
    public async Task Backup_fails_with_exit_11_and_one_line_naming_the_holder_while_an_exclusive_lock_is_held()
    {
        var src = _cli.MakeTree();
        var holder = await HoldAsync(LockKind.Exclusive, "cairn prune --max-unused 5%", "db7");
        var result = await _cli.RunAsync(11, "backup", src);
        var line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("cairn: the repository is locked: exclusive lock of 'cairn prune --max-unused 5%' (host db7, pid ", line);
        Assert.Contains("taken 0s ago", line);
        Assert.Contains("--retry-lock", line);
        Assert.Equal(0, _cli.CountRepoFiles("snapshots"));
        Assert.Equal(1, _cli.CountRepoFiles("locks")); // the backup removed the lock it had written

        // --retry-lock waits, then gives up with the same error.
        var stopwatch = Stopwatch.StartNew();
        await _cli.RunAsync(11, "--retry-lock", "1s", "backup", src);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(1), $"gave up after {stopwatch.Elapsed}");
        await _cli.RunAsync(2, "--retry-lock", "soon", "backup", src);

        // Released while a backup waits: the backup goes ahead.
        var waiting = _cli.RunAsync("--retry-lock", "1m", "backup", src);
        await Task.Delay(1500);
        Assert.False(waiting.IsCompleted);
        await holder.DisposeAsync();
        var done = await waiting;
        Assert.True(done.ExitCode == 0, done.ToString());
        Assert.Contains("waiting up to", done.Stderr);
        Assert.Equal(1, _cli.CountRepoFiles("snapshots"));
        Assert.Equal(0, _cli.CountRepoFiles("locks"));
    }

    [Fact]
    public async Task Restore_and_dump_wait_for_a_prune_unless_no_lock_is_asked_for()
    {
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "backup", src, "-q");
        await using (await HoldAsync(LockKind.Exclusive, "cairn prune", "db7"))
        {
            // A prune may delete packs a restore is about to read: the restore does not start under it.
            var refused = await _cli.RunAsync(11, "restore", "latest", "--target", Path.Combine(_cli.Root, "out1"));
            Assert.Contains("exclusive lock of 'cairn prune'", refused.Stderr);
            Assert.False(Directory.Exists(Path.Combine(_cli.Root, "out1")));
            await _cli.RunAsync(11, "dump", "latest", Path.Combine(src, "a.txt"));
            await _cli.RunAsync(11, "check");

            // --no-lock, for read-only repositories, writes nothing and reads anyway.
            await _cli.RunAsync(0, "--no-lock", "restore", "latest", "--target", Path.Combine(_cli.Root, "out2"), "-q");
            Assert.Equal("hello\n", (await _cli.RunAsync(0, "--no-lock", "dump", "latest", Path.Combine(src, "a.txt"))).Stdout);
            await _cli.RunAsync(0, "--no-lock", "check", "-q");
            Assert.Equal(1, _cli.CountRepoFiles("locks"));
            // Commands that write ignore it: a backup still needs its lock.
            await _cli.RunAsync(11, "--no-lock", "backup", src);
        }
        // Beside a backup's shared lock a restore runs as usual, and leaves no lock behind.
        await using (await HoldAsync(LockKind.Shared, "cairn backup /srv", "web1"))
            await _cli.RunAsync(0, "restore", "latest", "--target", Path.Combine(_cli.Root, "out3"), "-q");
        Assert.Equal(0, _cli.CountRepoFiles("locks"));
    }

    [Fact]
    public async Task Key_remove_needs_an_exclusive_lock_while_key_add_runs_beside_a_backup()
    {
        await using var backup = await HoldAsync(LockKind.Shared, "cairn backup /srv", "web1");
        var pass = Path.Combine(_cli.Root, "second.pass");
        File.WriteAllText(pass, "second password\n");
        var added = (await _cli.RunAsync(0, "key", "add", "--new-password-file", pass, "--json")).Json.GetProperty("id").GetString()!;
        var refused = await _cli.RunAsync(11, "key", "remove", added[..8]);
        Assert.Contains("shared lock of 'cairn backup /srv' (host web1", refused.Stderr);
        await _cli.RunAsync(11, "key", "passwd", "--new-password-file", pass);
        Assert.Equal(2, _cli.CountRepoFiles("keys"));
    }

    [Fact]
    public async Task Unlock_removes_stale_locks_but_not_live_ones_and_remove_all_removes_every_one()
    {
        await using var live = await HoldAsync(LockKind.Shared, "cairn backup /srv", "web1");
        var now = DateTimeOffset.UtcNow;
        var expired = await PlantAsync(LockKind.Exclusive, "elsewhere", 4242, 1, now.AddMinutes(-1));
        using var child = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        var childStart = Processes.StartTime(child.Id)!.Value;
        child.Kill();
        await child.WaitForExitAsync();
        var dead = await PlantAsync(LockKind.Exclusive, Environment.MachineName, child.Id, childStart, now.AddMinutes(29));
        var liveElsewhere = await PlantAsync(LockKind.Shared, "elsewhere", 4242, 1, now.AddMinutes(29));
        Assert.Equal(4, _cli.CountRepoFiles("locks"));

        var dry = (await _cli.RunAsync(0, "unlock", "--dry-run", "--json")).Json.EnumerateArray().ToList();
        Assert.Equal(4, dry.Count);
        Assert.All(dry, e => Assert.False(e.GetProperty("removed").GetBoolean()));
        Assert.Equal(4, _cli.CountRepoFiles("locks"));

        var text = await _cli.RunAsync(0, "unlock");
        Assert.Contains($"removed stale lock {expired.Name[..8]}", text.Stdout);
        Assert.Contains("lease expired", text.Stdout);
        Assert.Contains($"removed stale lock {dead.Name[..8]}", text.Stdout);
        Assert.Contains($"process {child.Id} on this host is gone", text.Stdout);
        Assert.Contains($"kept live lock {liveElsewhere.Name[..8]}", text.Stdout);
        Assert.Contains("2 locks removed, 2 kept", text.Stdout);
        Assert.Equal(2, _cli.CountRepoFiles("locks"));

        var listed = (await _cli.RunAsync(0, "unlock", "--json")).Json.EnumerateArray().ToList();
        Assert.Equal(2, listed.Count);
        var ours = Assert.Single(listed, e => e.GetProperty("id").GetString() == live.Name.Name);
        Assert.Equal("live", ours.GetProperty("status").GetString());
        Assert.Equal("shared", ours.GetProperty("kind").GetString());
        Assert.Equal("cairn backup /srv", ours.GetProperty("command").GetString());
        Assert.Equal(Environment.ProcessId, ours.GetProperty("pid").GetInt32());

        var all = await _cli.RunAsync(0, "unlock", "--remove-all");
        Assert.Contains("2 locks removed, 0 kept", all.Stdout);
        Assert.Equal(0, _cli.CountRepoFiles("locks"));
        // The holder finds out at its next refresh and stops.
        var lost = await Assert.ThrowsAsync<CairnException>(() => live.RefreshAsync(CancellationToken.None));
        Assert.Equal(ExitCode.Locked, lost.ExitCode);
        Assert.True(live.LostToken.IsCancellationRequested);
        Assert.Contains("the repository has no locks", (await _cli.RunAsync(0, "unlock")).Stdout);
    }

    [Fact]
    public async Task Stale_locks_are_cleared_by_the_next_backup_by_itself()
    {
        var expired = await PlantAsync(LockKind.Exclusive, "elsewhere", 4242, 1, DateTimeOffset.UtcNow.AddSeconds(-1));
        var result = await _cli.RunAsync(0, "backup", _cli.MakeTree());
        Assert.Contains($"removed stale lock {expired.Name[..8]}", result.Stderr);
        Assert.Equal(0, _cli.CountRepoFiles("locks"));
    }

    [Fact]
    public async Task Two_backups_from_different_hosts_run_into_one_repository_at_the_same_time()
    {
        var a = _cli.MakeTree("src-a");
        var b = _cli.MakeTree("src-b");
        File.WriteAllBytes(Path.Combine(a, "big-a.bin"), CliHarness.RandomBytes(8 << 20, 11));
        File.WriteAllBytes(Path.Combine(b, "big-b.bin"), CliHarness.RandomBytes(8 << 20, 12));
        // A shared lock held throughout proves the two backups did not need the repository to themselves.
        await using var third = await HoldAsync(LockKind.Shared, "cairn backup /elsewhere", "host-c");
        var results = await Task.WhenAll(_cli.RunAsync("backup", "--host", "host-a", a), _cli.RunAsync("backup", "--host", "host-b", b));
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        var snapshots = (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().ToList();
        Assert.Equal(["host-a", "host-b"], snapshots.Select(s => s.GetProperty("hostname").GetString()).Order());
        foreach (var (host, file) in new[] { ("host-a", "big-a.bin"), ("host-b", "big-b.bin") })
        {
            var target = Path.Combine(_cli.Root, "restore-" + host);
            await _cli.RunAsync(0, "restore", "latest", "--host", host, "--target", target);
            var source = host == "host-a" ? a : b;
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, file)), File.ReadAllBytes(target + source + "/" + file));
        }
        Assert.Equal(1, _cli.CountRepoFiles("locks"));
    }
}
