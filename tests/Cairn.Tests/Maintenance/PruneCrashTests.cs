using Cairn.Maintenance.Prune;
using Cairn.Storage;
using Xunit.Abstractions;

namespace Cairn.Tests.Maintenance;

/// <summary>
/// Prune stopped after every single write or delete it makes (as kill -9 would stop it), and under random storage
/// faults: every remaining snapshot still restores, and the next prune finishes the job.
/// </summary>
public sealed class PruneCrashTests(ITestOutputHelper output)
{
    private static readonly PruneOptions s_options = new() { MaxUnused = UnusedLimit.Absolute(0), Parallelism = 2 };

    /// <summary>
    /// A repository where prune has every kind of work: packs to delete (a data pack and three tree packs), two to
    /// repack, a leftover pack no index names, and four index files to supersede.
    /// </summary>
    private static async Task<PruneFixture> CreateBusyRepositoryAsync()
    {
        var f = await PruneFixture.CreateAsync();
        var gone = await f.BackupSeedsAsync(30, 31);
        var first = await f.BackupSeedsAsync(1, 2, 3, 4);
        var second = await f.BackupSeedsAsync(1, 5, 6);
        await f.BackupSeedsAsync(1, 6, 7);
        await f.ForgetAsync(gone);
        await f.ForgetAsync(first);
        await f.ForgetAsync(second);
        var repository = f.Repository;
        await using var store = new Cairn.Content.ContentStore(repository.Blobs, repository.MasterKey, repository.Config,
            new Cairn.Content.ContentStoreOptions { PacksPerIndexFile = int.MaxValue });
        await store.StoreAsync(Cairn.Content.ObjectType.Data, PruneFixture.Data(40), CancellationToken.None);
        await store.FlushPacksAsync(CancellationToken.None);
        return f;
    }

    [Fact]
    public async Task Prune_stopped_after_any_write_leaves_every_snapshot_restorable_and_the_next_prune_finishes()
    {
        await using var f = await CreateBusyRepositoryAsync();
        var pristine = Path.Combine(f.Root, "pristine");
        f.CopyRepositoryTo(pristine);

        // A full run tells how many writes there are, and in which order they come.
        var counter = new CrashingBlobStore(new LocalBlobStore(f.RepositoryPath));
        var (plan, _) = await f.PruneAsync(s_options, counter);
        Assert.Equal(4, plan.Statistics.PacksToDelete);
        Assert.Equal(2, plan.Statistics.PacksToRepack);
        Assert.Equal(1, plan.Statistics.UnindexedPacks);
        Assert.Equal(4, plan.Statistics.IndexFiles);
        string[] order = ["put pack", "put index", "delete index", "delete pack"];
        var phases = counter.Log.Select(entry => Array.IndexOf(order, entry)).ToList();
        Assert.DoesNotContain(-1, phases);
        Assert.Equal(phases.Order(), phases);
        Assert.Equal(order.Length, phases.Distinct().Count());
        int writes = counter.Writes;
        output.WriteLine($"{writes} crash points: {string.Join(", ", counter.Log)}");
        var finalPacks = f.PackFiles().Count;

        for (int allowed = 0; allowed < writes; allowed++)
        {
            await f.RestoreRepositoryFromAsync(pristine);
            var crashing = new CrashingBlobStore(new LocalBlobStore(f.RepositoryPath), allowed);
            var crash = await Record.ExceptionAsync(() => f.PruneAsync(s_options, crashing));
            Assert.True(crash is SimulatedCrashException, $"after {allowed} writes: expected a simulated crash, got {crash}");

            await f.AssertAllRestorableAsync();
            var (again, _) = await f.PruneAsync(s_options);
            Assert.Empty(again.Problems);
            await f.AssertAllRestorableAsync();
            await PruneTests.AssertNoUnusedDataAsync(f);
            Assert.Equal(finalPacks, f.PackFiles().Count);
            Assert.Single(f.IndexFiles());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Prune_under_random_storage_faults_ends_cleanly_or_fails_cleanly(int seed)
    {
        await using var f = await CreateBusyRepositoryAsync();
        // Faults on writes only: faults on reads stop prune while it plans, before it changes anything.
        var rates = new FaultRates(Transient: 0.1, Permanent: 0.1);
        var faulty = new FaultInjectingBlobStore(new LocalBlobStore(f.RepositoryPath), new FaultPlan(seed) { Put = rates, Delete = rates });

        var outcome = await Record.ExceptionAsync(async () =>
        {
            var repository = await f.ReopenAsync(faulty);
            var plan = await PrunePlanner.PlanAsync(repository, s_options, CancellationToken.None);
            await Pruner.ExecuteAsync(repository, plan, s_options, CancellationToken.None);
        });
        Assert.True(outcome is StorageException, $"seed {seed}: expected an injected fault to stop prune, got {outcome?.ToString() ?? "success"}");
        output.WriteLine($"seed {seed}: {faulty.InjectedFaults} faults injected, prune {(outcome is null ? "finished" : "failed: " + outcome.Message)}");

        await f.AssertAllRestorableAsync();
        await f.PruneAsync(s_options);
        await f.AssertAllRestorableAsync();
        await PruneTests.AssertNoUnusedDataAsync(f);
    }
}
