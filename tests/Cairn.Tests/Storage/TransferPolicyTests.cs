using System.Runtime.CompilerServices;
using Cairn.Storage;

namespace Cairn.Tests.Storage;

/// <summary>The decorators every remote store gets: upload bandwidth cap, per-attempt timeout, retried streaming puts.</summary>
public sealed class TransferPolicyTests
{
    private static readonly BlobName s_pack = new(BlobKind.Pack, new string('b', 64));

    [Fact]
    public async Task The_limiter_paces_bytes_to_the_rate_after_a_quarter_second_burst()
    {
        var clock = new FrozenClock();
        var limiter = new BandwidthLimiter(1 << 20, clock);
        for (int i = 0; i < 64; i++) await limiter.WaitAsync(64 * 1024, CancellationToken.None);

        // 4 MiB at 1 MiB/s, minus the 0.25 s burst: the last slice waits ~3.75 s (the fake clock does not advance).
        Assert.Equal(3.75, clock.LongestDelay.TotalSeconds, 3);
    }

    [Fact]
    public async Task Concurrent_uploads_share_one_rate()
    {
        var clock = new FrozenClock();
        var store = new UploadLimitedBlobStore(new InMemoryBlobStore(), new BandwidthLimiter(1 << 20, clock));
        var blobs = Enumerable.Range(0, 4).Select(i => (Name: new BlobName(BlobKind.Pack, new string((char)('a' + i), 64)), Data: RandomBytes(i, 1 << 20))).ToArray();

        await Task.WhenAll(blobs.Select(b => store.PutAsync(b.Name, b.Data)));

        foreach (var (name, data) in blobs) Assert.Equal(data, await store.GetAsync(name));
        // Four 1 MiB uploads together take ~4 s at 1 MiB/s, not ~1 s each in parallel.
        Assert.Equal(3.75, clock.LongestDelay.TotalSeconds, 3);
    }

    [Fact]
    public async Task A_streamed_put_that_fails_transiently_is_retried_from_the_start_of_the_stream()
    {
        var flaky = new FaultInjectingBlobStore(new InMemoryBlobStore(), FaultPlan.Uniform(3, new FaultRates(Transient: 0.5)));
        var store = new RetryingBlobStore(flaky, new RetryPolicy { MaxAttempts = 20, Seed = 1, TimeProvider = new InstantTimeProvider() });
        var data = RandomBytes(9, 200_000);
        var stream = new MemoryStream(data);

        await store.PutAsync(s_pack, stream);

        Assert.Equal(data, await store.GetAsync(s_pack));
    }

    [Fact]
    public async Task An_attempt_that_hangs_times_out_and_the_last_timeout_is_reported_as_unreachable()
    {
        var hanging = new HangingStore();
        var store = new RetryingBlobStore(hanging, new RetryPolicy
        {
            MaxAttempts = 3, AttemptTimeout = TimeSpan.FromMilliseconds(50), Seed = 1,
        });

        var error = await Assert.ThrowsAsync<StorageUnreachableException>(() => store.GetAsync(s_pack));

        Assert.Equal(ExitCode.StorageUnreachable, error.ExitCode);
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, hanging.Calls);
    }

    [Fact]
    public void Capabilities_are_found_through_the_decorators()
    {
        var inner = new HangingStore();
        IBlobStore wrapped = new RetryingBlobStore(new UploadLimitedBlobStore(inner, new BandwidthLimiter(1 << 20)), new RetryPolicy());

        Assert.Same(inner, wrapped.Feature<IContainerStore>());
        Assert.Null(wrapped.Feature<IColdStorageStore>());
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>A clock that stands still and fires every timer at once, remembering the longest delay asked for.</summary>
    private sealed class FrozenClock : TimeProvider
    {
        private readonly DateTimeOffset _now = DateTimeOffset.UnixEpoch;
        private long _longestTicks;

        public TimeSpan LongestDelay => TimeSpan.FromTicks(Interlocked.Read(ref _longestTicks));

        public override DateTimeOffset GetUtcNow() => _now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            long seen;
            while (dueTime.Ticks > (seen = Interlocked.Read(ref _longestTicks)) && Interlocked.CompareExchange(ref _longestTicks, dueTime.Ticks, seen) != seen)
            {
            }

            return System.CreateTimer(callback, state, dueTime == Timeout.InfiniteTimeSpan ? dueTime : TimeSpan.Zero, period);
        }
    }

    /// <summary>A store whose reads never finish until cancelled, and which can "create its container".</summary>
    private sealed class HangingStore : IBlobStore, IContainerStore
    {
        private int _calls;

        public int Calls => _calls;

        public string Location => "hanging:";

        public Task CreateContainerIfMissingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => Hang(cancellationToken);

        public async Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
        {
            await Hang(cancellationToken);
            return [];
        }

        public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) => Hang(cancellationToken);

        public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Hang(cancellationToken);
            yield break;
        }

        public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default) => Hang(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private Task Hang(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
