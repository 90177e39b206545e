using System.Text;
using Cairn.Archiving.Backup;
using Cairn.Archiving.Restore;
using Cairn.Content.Crypto;
using Cairn.Maintenance.Check;
using Cairn.Maintenance.Repair;
using Cairn.Snapshots;
using Cairn.Storage;
using Cairn.Tests.Storage;

namespace Cairn.Tests.Crash;

/// <summary>A small source tree shared by the fault tests: round-01 is backed up cleanly first, round-02 is new data.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FaultSource : IDisposable
{
    public FaultSource()
    {
        var tree = new SourceTree(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cairn-faults-" + Guid.NewGuid().ToString("N")[..12]), seed: 5);
        tree.AddData(1 << 20, maxFile: 96 << 10);
        tree.AddData(2 << 20, maxFile: 96 << 10);
        Path = tree.Path;
        Earlier = System.IO.Path.Combine(Path, "round-01");
        All = Manifest.Of(Path);
        EarlierManifest = Manifest.Of(Earlier);
    }

    public string Path { get; }

    public string Earlier { get; }

    internal Manifest All { get; }

    internal Manifest EarlierManifest { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// Backup and check, in-process, through a <see cref="FaultInjectingBlobStore"/> with seeded random transient and
/// permanent errors, stalls and partial writes on every kind of call, with and without the retrying decorator. Each run
/// ends in success or a clean <see cref="StorageException"/> within a time bound, and afterwards the store underneath
/// checks clean and every snapshot restores. Replay a failure with its seed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FaultInjectionTests(FaultSource source, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<FaultSource>
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private static readonly byte[] s_password = Encoding.UTF8.GetBytes("fault password");

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 20)];

    public static TheoryData<int> PartialSeeds => [.. Enumerable.Range(101, 12)];

    /// <summary>Faults a store that keeps its contract can have: errors and stalls, no partial writes.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Backup_and_check_through_errors_and_stalls_end_cleanly_and_leave_a_repository_that_checks_clean(int seed)
    {
        var random = new Random(seed);
        // Some plans fail reads permanently, some only transiently: a transient read error must never be reported as damage.
        bool permanentReads = random.Next(2) == 0;
        bool retry = seed % 2 == 0;
        // Without retries the first error ends a run, so rates are low enough for it to come anywhere in the run.
        double scale = retry ? 1 : 0.2;
        var writes = new FaultRates(Transient: random.NextDouble() * 0.15 * scale, Permanent: random.Next(3) * 0.01 * scale, Stall: 0.03);
        var reads = new FaultRates(Transient: random.NextDouble() * 0.1 * scale, Permanent: permanentReads ? 0.01 * scale : 0, Stall: 0.03);
        var plan = new FaultPlan(seed)
        {
            Put = writes, Delete = writes, Get = reads, ReadRange = reads, Stat = reads, List = reads,
            StallDuration = TimeSpan.FromMilliseconds(2),
        };
        var run = await RunAsync(seed, plan, retry);

        if (run.Check is { IsClean: false } report)
        {
            Assert.True(permanentReads, $"seed {seed}: check through transient faults reported damage: {Describe(report)}");
            Assert.Contains("injected fault", Describe(report));
        }
        var final = await CheckUnderlyingAsync(run.Underlying);
        Assert.True(final.IsClean, $"seed {seed}: {Describe(final)}");
        await AssertSnapshotsRestoreAsync(run);
    }

    /// <summary>
    /// Partial writes break the store contract (puts are atomic): a non-atomic backend leaves a prefix under the real
    /// name. The put must still fail, a retry that succeeds must replace the prefix, and check must name every prefix
    /// that is left: unreferenced packs (no index names a pack whose upload failed) are harmless, index and snapshot files
    /// are reported damaged, and nothing else is. Then repair index replaces a damaged index file. Some seeds aim the
    /// partial writes at index or snapshot files only, which are one put each at the end of a backup.
    /// </summary>
    [Theory]
    [MemberData(nameof(PartialSeeds))]
    public async Task Partial_writes_fail_the_put_and_check_names_exactly_the_prefixes_left(int seed)
    {
        var (kinds, rate) = (seed % 3) switch
        {
            0 => ((IReadOnlySet<BlobKind>?)null, 0.04),
            1 => (new HashSet<BlobKind> { BlobKind.Index }, 0.5),
            _ => (new HashSet<BlobKind> { BlobKind.Snapshot }, 0.5),
        };
        var plan = new FaultPlan(seed)
        {
            Put = new FaultRates(Transient: rate / 4, Permanent: rate / 8, PartialWrite: rate),
            Get = new FaultRates(Transient: 0.02),
            ReadRange = new FaultRates(Transient: 0.02),
            Kinds = kinds,
        };
        var run = await RunAsync(seed, plan, retry: seed % 2 == 0);

        var left = new List<BlobName>();
        foreach (var (name, length) in run.Faults.PartiallyWritten)
            if ((await run.Underlying.StatAsync(name)).Length < length) left.Add(name);
        // A backup that reported success wrote every blob whole.
        if (run.Snapshot is not null) Assert.Empty(left);

        var final = await CheckUnderlyingAsync(run.Underlying);
        Assert.Equal(Names(left, BlobKind.Index), final.DamagedIndexFiles.Select(f => f.Name).Order());
        Assert.Equal(Names(left, BlobKind.Snapshot), final.DamagedSnapshots.Select(f => f.Name).Order());
        Assert.Empty(final.DamagedPacks);
        Assert.Empty(final.DamagedBlobs);
        Assert.Subset(final.UnreferencedPacks.Select(p => p.ToString()).ToHashSet(), Names(left, BlobKind.Pack).ToHashSet());

        if (final.DamagedIndexFiles.Count > 0)
        {
            // A damaged index file stops every command that loads the index, until repair index replaces it.
            await Assert.ThrowsAsync<IntegrityException>(() => Repository.OpenAsync(run.Underlying, s_password, CancellationToken.None));
            await using (var repository = await Repository.OpenAsync(run.Underlying, s_password, CancellationToken.None, loadIndex: false))
                await new IndexRebuilder(repository).RunAsync(CancellationToken.None);
            var repaired = await CheckUnderlyingAsync(run.Underlying);
            Assert.Empty(repaired.DamagedIndexFiles);
            Assert.Empty(repaired.DamagedBlobs);
        }
        await AssertSnapshotsRestoreAsync(run);
    }

    private static IEnumerable<string> Names(List<BlobName> names, BlobKind kind) => names.Where(n => n.Kind == kind).Select(n => n.Name).Order();

    private sealed record Run(InMemoryBlobStore Underlying, FaultInjectingBlobStore Faults, Snapshot Earlier, Snapshot? Snapshot, CheckReport? Check);

    // A clean backup of round-01, then a backup of everything and a check with --read-data through the faults.
    private async Task<Run> RunAsync(int seed, FaultPlan plan, bool retry)
    {
        var underlying = new InMemoryBlobStore();
        Snapshot earlier;
        await using (var clean = await Repository.InitAsync(underlying, s_password,
                         new RepositoryInitOptions { Kdf = KdfParameters.ForTests, PackSize = 64 << 10 }, TimeProvider.System, CancellationToken.None))
            earlier = (await new Archiver(clean, new BackupOptions { Paths = [source.Earlier], Workers = 2 }, TimeProvider.System)
                .RunAsync(CancellationToken.None)).Snapshot;

        var faults = new FaultInjectingBlobStore(underlying, plan);
        IBlobStore store = retry
            ? new RetryingBlobStore(faults, new RetryPolicy { MaxAttempts = 4, Seed = seed, TimeProvider = new InstantTimeProvider() })
            : faults;
        var snapshot = await EndsCleanlyAsync(seed, "backup", async () =>
        {
            await using var repository = await Repository.OpenAsync(store, s_password, CancellationToken.None);
            return (await new Archiver(repository, new BackupOptions { Paths = [source.Path], Workers = 2 }, TimeProvider.System)
                .RunAsync(CancellationToken.None)).Snapshot;
        });
        var check = await EndsCleanlyAsync(seed, "check", async () =>
        {
            await using var repository = await Repository.OpenAsync(store, s_password, CancellationToken.None, loadIndex: false);
            return await new Checker(repository, new CheckOptions { ReadData = PackSubset.All }).RunAsync(CancellationToken.None);
        });
        output.WriteLine($"seed {seed}{(retry ? " with retries" : "")}: {faults.InjectedFaults} faults injected, " +
                         $"partial writes: {string.Join(", ", faults.PartiallyWritten.Keys.Select(n => n.Kind))}; backup {(snapshot is null ? "failed" : "succeeded")}, " +
                         $"check {(check is null ? "failed" : check.IsClean ? "clean" : "reported damage")}");
        return new Run(underlying, faults, earlier, snapshot, check);
    }

    /// <summary>The result, or null after a clean storage error; a hang or any other exception fails the test.</summary>
    private static async Task<T?> EndsCleanlyAsync<T>(int seed, string what, Func<Task<T>> work) where T : class
    {
        var task = work();
        try
        {
            return await task.WaitAsync(s_bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"seed {seed}: {what} hung for {s_bound.TotalSeconds} s");
        }
        catch (StorageException e) when (e is not BlobNotFoundException && e.ExitCode == ExitCode.Storage && e.Message.Contains("injected fault", StringComparison.Ordinal))
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"seed {seed}: {what} ended in {e.GetType().Name} (exit code {(e as CairnException)?.ExitCode}), " +
                        $"not success or the injected storage error: {e}");
        }
        return null;
    }

    private static async Task<CheckReport> CheckUnderlyingAsync(IBlobStore underlying)
    {
        await using var repository = await Repository.OpenAsync(underlying, s_password, CancellationToken.None, loadIndex: false);
        return await new Checker(repository, new CheckOptions { ReadData = PackSubset.All }).RunAsync(CancellationToken.None);
    }

    private async Task AssertSnapshotsRestoreAsync(Run run)
    {
        await using var repository = await Repository.OpenAsync(run.Underlying, s_password, CancellationToken.None);
        await AssertRestoresAsync(repository, run.Earlier, source.Earlier, source.EarlierManifest);
        if (run.Snapshot is { } snapshot) await AssertRestoresAsync(repository, snapshot, source.Path, source.All);
    }

    private static async Task AssertRestoresAsync(Repository repository, Snapshot snapshot, string path, Manifest expected)
    {
        var target = Path.Combine(Path.GetTempPath(), "cairn-faults-restore-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var result = await new Restorer(repository, snapshot, new RestoreOptions { Target = target, Workers = 2 }).RunAsync(CancellationToken.None);
            Assert.Empty(result.Errors);
            expected.AssertSameAs(Manifest.Of(target + path), $"snapshot {snapshot.Id.ToShortString()}");
        }
        finally
        {
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        }
    }

    private static string Describe(CheckReport r) =>
        string.Join("; ", r.DamagedIndexFiles.Select(f => $"index {f.Name}: {f.Problem}")
            .Concat(r.DamagedSnapshots.Select(f => $"snapshot {f.Name}: {f.Problem}"))
            .Concat(r.DamagedPacks.Select(p => $"pack {p.PackId}: {p.Problem}"))
            .Concat(r.DamagedBlobs.Select(b => $"blob {b.Id} in {b.PackId}: {b.Problem}")));
}
