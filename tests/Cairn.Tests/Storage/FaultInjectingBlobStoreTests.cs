using Cairn.Storage;

namespace Cairn.Tests.Storage;

/// <summary>The fault injector must be reproducible, or a failing crash test could not be replayed.</summary>
public sealed class FaultInjectingBlobStoreTests
{
    private static readonly FaultPlan s_mixed = FaultPlan.Uniform(7, new FaultRates(Transient: 0.2, Permanent: 0.1, Stall: 0.05, PartialWrite: 0.1))
        with { StallDuration = TimeSpan.FromMilliseconds(1) };

    [Fact]
    public async Task The_same_seed_gives_the_same_faults()
    {
        var first = await RunScriptAsync(s_mixed);
        var second = await RunScriptAsync(s_mixed);

        Assert.Equal(first, second);
        Assert.Contains(first, o => o.StartsWith("transient", StringComparison.Ordinal));
        Assert.Contains(first, o => o.StartsWith("permanent", StringComparison.Ordinal));
        Assert.Contains(first, o => o == "ok");
    }

    [Fact]
    public async Task Another_seed_gives_other_faults()
    {
        Assert.NotEqual(await RunScriptAsync(s_mixed), await RunScriptAsync(s_mixed with { Seed = 8 }));
    }

    [Fact]
    public async Task With_no_rates_nothing_is_injected()
    {
        var outcomes = await RunScriptAsync(new FaultPlan(1));

        Assert.All(outcomes[..^1], o => Assert.Equal("ok", o));
        Assert.Equal("partial blobs: 0", outcomes[^1]);
    }

    [Fact]
    public async Task A_partial_write_leaves_a_strict_prefix_under_the_real_name()
    {
        var inner = new InMemoryBlobStore();
        await using var store = new FaultInjectingBlobStore(inner, new FaultPlan(3) { Put = new FaultRates(PartialWrite: 1) });
        var name = new BlobName(BlobKind.Pack, "abcd");
        var data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();

        var e = await Assert.ThrowsAsync<StorageException>(() => store.PutAsync(name, data));

        Assert.True(e.IsTransient);
        var stored = await inner.GetAsync(name);
        Assert.True(stored.Length < data.Length);
        Assert.Equal(data[..stored.Length], stored);
        Assert.Equal(1, store.InjectedFaults);
    }

    [Fact]
    public async Task Faults_aimed_at_some_kinds_spare_the_others_and_partial_writes_are_recorded()
    {
        var inner = new InMemoryBlobStore();
        var plan = new FaultPlan(9) { Put = new FaultRates(PartialWrite: 1), Get = new FaultRates(Permanent: 1), Kinds = new HashSet<BlobKind> { BlobKind.Index } };
        await using var store = new FaultInjectingBlobStore(inner, plan);
        var pack = new BlobName(BlobKind.Pack, "ab01");
        var index = new BlobName(BlobKind.Index, "cd02");

        await store.PutAsync(pack, new byte[100]);
        Assert.Equal(100, (await store.GetAsync(pack)).Length);
        await Assert.ThrowsAsync<StorageException>(() => store.PutAsync(index, new byte[100]));
        await Assert.ThrowsAsync<StorageException>(() => store.GetAsync(index));

        Assert.Equal(2, store.InjectedFaults);
        Assert.Equal(100, Assert.Single(store.PartiallyWritten, p => p.Key == index).Value);
        Assert.True((await inner.StatAsync(index)).Length < 100);
    }

    [Fact]
    public async Task A_stall_honours_cancellation()
    {
        var plan = new FaultPlan(4) { Get = new FaultRates(Stall: 1), StallDuration = TimeSpan.FromMinutes(5) };
        await using var store = new FaultInjectingBlobStore(new InMemoryBlobStore(), plan);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.GetAsync(new BlobName(BlobKind.Pack, "abcd"), timeout.Token));
    }

    [Fact]
    public void Rates_that_add_up_to_more_than_one_are_refused()
    {
        Assert.Throws<ArgumentException>(
            () => new FaultInjectingBlobStore(new InMemoryBlobStore(), new FaultPlan(1) { Stat = new FaultRates(Transient: 0.7, Permanent: 0.7) }));
    }

    // A fixed sequence of calls; each outcome is "ok", or the kind of error and the operation it hit.
    private static async Task<List<string>> RunScriptAsync(FaultPlan plan)
    {
        var inner = new InMemoryBlobStore();
        await using var store = new FaultInjectingBlobStore(inner, plan);
        var outcomes = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var name = new BlobName(BlobKind.Pack, $"{i % 7:x2}{i:x4}");
            outcomes.Add(await OutcomeAsync(() => store.PutAsync(name, new byte[100 + i])));
            outcomes.Add(await OutcomeAsync(() => store.StatAsync(name)));
            outcomes.Add(await OutcomeAsync(() => store.ReadRangeAsync(name, 0, new byte[10])));
            outcomes.Add(await OutcomeAsync(async () =>
            {
                await foreach (var _ in store.ListAsync(BlobKind.Pack))
                {
                }
            }));
            if (i % 3 == 0)
            {
                outcomes.Add(await OutcomeAsync(() => store.DeleteAsync(name)));
            }
        }

        var partial = 0;
        await foreach (var info in inner.ListAsync(BlobKind.Pack))
        {
            partial += info.Length < 100 ? 1 : 0;
        }

        outcomes.Add($"partial blobs: {partial}");
        return outcomes;
    }

    private static async Task<string> OutcomeAsync(Func<Task> call)
    {
        try
        {
            await call();
            return "ok";
        }
        catch (BlobNotFoundException)
        {
            return "not found";
        }
        catch (StorageException e)
        {
            return (e.IsTransient ? "transient: " : "permanent: ") + e.Message;
        }
    }
}
