using Cairn.Storage;

namespace Cairn.Tests.Storage;

/// <summary>Retries must cure transient failures and leave every other failure alone.</summary>
public sealed class RetryingBlobStoreTests
{
    private static readonly BlobName s_name = new(BlobKind.Pack, "abcd");

    [Fact]
    public async Task Transient_failures_are_retried_until_they_pass()
    {
        var clock = new InstantTimeProvider();
        var flaky = new FaultInjectingBlobStore(new InMemoryBlobStore(), FaultPlan.Uniform(5, new FaultRates(Transient: 0.5)));
        await using var store = new RetryingBlobStore(flaky, new RetryPolicy { MaxAttempts = 30, Seed = 1, TimeProvider = clock });

        for (var i = 0; i < 20; i++)
        {
            var name = new BlobName(BlobKind.Index, $"{i:x4}");
            await store.PutAsync(name, new byte[i]);
            Assert.Equal(i, (await store.GetAsync(name)).Length);
        }

        Assert.True(flaky.InjectedFaults > 5, "the plan should have injected failures");
        Assert.Equal(flaky.InjectedFaults, clock.Delays.Count);
    }

    [Fact]
    public async Task Waits_grow_exponentially_up_to_the_maximum_and_then_the_error_surfaces()
    {
        var clock = new InstantTimeProvider();
        var broken = new FaultInjectingBlobStore(new InMemoryBlobStore(), new FaultPlan(1) { Get = new FaultRates(Transient: 1) });
        var policy = new RetryPolicy
        {
            MaxAttempts = 8,
            BaseDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            Seed = 2,
            TimeProvider = clock,
        };
        await using var store = new RetryingBlobStore(broken, policy);

        var e = await Assert.ThrowsAsync<StorageException>(() => store.GetAsync(s_name));

        Assert.True(e.IsTransient);
        Assert.Equal(8, broken.InjectedFaults);
        Assert.Equal(7, clock.Delays.Count);
        Assert.All(clock.Delays, d => Assert.InRange(d, TimeSpan.FromTicks(1), policy.MaxDelay));
        Assert.True(clock.Delays[^1] > clock.Delays[0] * 4, $"delays should grow: {string.Join(", ", clock.Delays)}");
    }

    [Fact]
    public async Task Permanent_failures_are_not_retried()
    {
        var clock = new InstantTimeProvider();
        var broken = new FaultInjectingBlobStore(new InMemoryBlobStore(), new FaultPlan(1) { Put = new FaultRates(Permanent: 1) });
        await using var store = new RetryingBlobStore(broken, new RetryPolicy { TimeProvider = clock });

        var e = await Assert.ThrowsAsync<StorageException>(() => store.PutAsync(s_name, new byte[1]));

        Assert.False(e.IsTransient);
        Assert.Equal(1, broken.InjectedFaults);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task Not_found_is_not_retried()
    {
        var clock = new InstantTimeProvider();
        await using var store = new RetryingBlobStore(new InMemoryBlobStore(), new RetryPolicy { TimeProvider = clock });

        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.GetAsync(s_name));

        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task A_retried_partial_put_ends_with_the_whole_blob()
    {
        var inner = new InMemoryBlobStore();
        var crashing = new FaultInjectingBlobStore(inner, new FaultPlan(9) { Put = new FaultRates(PartialWrite: 0.7) });
        await using var store = new RetryingBlobStore(crashing, new RetryPolicy { MaxAttempts = 50, TimeProvider = new InstantTimeProvider() });
        var data = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();

        await store.PutAsync(s_name, data);

        Assert.Equal(data, await inner.GetAsync(s_name));
    }

    [Fact]
    public async Task A_listing_that_fails_is_retried_whole()
    {
        var inner = new InMemoryBlobStore();
        for (var i = 0; i < 10; i++)
        {
            await inner.PutAsync(new BlobName(BlobKind.Snapshot, $"{i:x2}"), new byte[i]);
        }

        var flaky = new FaultInjectingBlobStore(inner, new FaultPlan(11) { List = new FaultRates(Transient: 0.6) });
        await using var store = new RetryingBlobStore(flaky, new RetryPolicy { MaxAttempts = 40, TimeProvider = new InstantTimeProvider() });

        for (var round = 0; round < 5; round++)
        {
            var names = new List<string>();
            await foreach (var info in store.ListAsync(BlobKind.Snapshot))
            {
                names.Add(info.Name.Name);
            }

            Assert.Equal(10, names.Count);
            Assert.Equal(10, names.Distinct().Count());
        }
    }
}
