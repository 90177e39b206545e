// The contract every IBlobStore must keep (see IBlobStore's remarks), as one abstract xunit class.
//
// To check a new store, add a class next to the existing subclasses at the bottom of this file or in its own file:
//
//     public sealed class S3BlobStoreConformanceTests : BlobStoreConformanceTests
//     {
//         protected override Task<IBlobStore> CreateStoreAsync() => ...a store on a fresh, empty bucket or prefix...;
//         protected override Task CleanupAsync() => ...remove the bucket or prefix (the store is already disposed)...;
//     }
//
// xunit runs every [Fact] and [Theory] below once per subclass. Each test gets its own empty store.
using System.Security.Cryptography;
using Cairn.Storage;

namespace Cairn.Tests.Storage;

/// <summary>Contract tests that every blob store must pass.</summary>
public abstract class BlobStoreConformanceTests : IAsyncLifetime
{
    private IBlobStore? _store;

    /// <summary>The store under test: fresh and empty for each test.</summary>
    protected IBlobStore Store => _store ?? throw new InvalidOperationException("the store is created in InitializeAsync");

    /// <summary>Creates an empty store for one test.</summary>
    protected abstract Task<IBlobStore> CreateStoreAsync();

    /// <summary>Removes whatever the store left behind; called after the store is disposed.</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        await CleanupAsync();
    }

    public static TheoryData<BlobKind> Kinds => [.. Enum.GetValues<BlobKind>()];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Put_then_get_round_trips_every_kind(BlobKind kind)
    {
        var name = NewName(kind);
        var data = Bytes(1000 + (int)kind, seed: (int)kind);

        await Store.PutAsync(name, data);

        Assert.Equal(data, await Store.GetAsync(name));
    }

    [Fact]
    public async Task An_empty_blob_round_trips()
    {
        var name = NewName(BlobKind.Lock);

        await Store.PutAsync(name, ReadOnlyMemory<byte>.Empty);

        Assert.Empty(await Store.GetAsync(name));
        Assert.Equal(0, (await Store.StatAsync(name)).Length);
    }

    [Fact]
    public async Task A_20_MiB_blob_round_trips()
    {
        var name = NewName(BlobKind.Pack);
        var data = Bytes(20 << 20, seed: 20);

        await Store.PutAsync(name, data);

        var read = await Store.GetAsync(name);
        Assert.True(data.AsSpan().SequenceEqual(read), "the 20 MiB blob came back different");
    }

    [Fact]
    public async Task Putting_the_same_content_again_overwrites_harmlessly()
    {
        var name = NewName(BlobKind.Index);
        var data = Bytes(4096, seed: 1);

        await Store.PutAsync(name, data);
        await Store.PutAsync(name, data);

        Assert.Equal(data, await Store.GetAsync(name));
        Assert.Single(await ListAsync(BlobKind.Index));
    }

    [Fact]
    public async Task The_store_keeps_its_own_copy_of_put_data()
    {
        var name = NewName(BlobKind.Snapshot);
        var data = Bytes(100, seed: 2);
        var expected = data.ToArray();

        await Store.PutAsync(name, data);
        data[0] ^= 0xff;
        var read = await Store.GetAsync(name);
        read[1] ^= 0xff;

        Assert.Equal(expected, await Store.GetAsync(name));
    }

    [Fact]
    public async Task Get_of_a_missing_blob_raises_not_found()
    {
        var name = NewName(BlobKind.Pack);

        var e = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetAsync(name));

        Assert.Equal(name, e.Name);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task Stat_of_a_missing_blob_raises_not_found()
    {
        var name = NewName(BlobKind.Key);

        var e = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.StatAsync(name));

        Assert.Equal(name, e.Name);
    }

    [Fact]
    public async Task Read_range_of_a_missing_blob_raises_not_found()
    {
        var buffer = new byte[10];

        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.ReadRangeAsync(NewName(BlobKind.Pack), 0, buffer));
    }

    [Fact]
    public async Task Get_of_the_missing_config_raises_not_found()
    {
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetAsync(BlobName.Config));
    }

    [Fact]
    public async Task Stat_reports_the_length()
    {
        var name = NewName(BlobKind.Pack);
        await Store.PutAsync(name, Bytes(12345, seed: 3));

        var info = await Store.StatAsync(name);

        Assert.Equal(new BlobInfo(name, 12345), info);
    }

    [Theory]
    [InlineData(0, 100)] // start
    [InlineData(4000, 1000)] // middle
    [InlineData(9900, 100)] // end
    [InlineData(0, 10000)] // all
    [InlineData(5000, 0)] // zero length
    [InlineData(10000, 0)] // zero length at the very end
    public async Task Read_range_returns_exactly_the_bytes_asked_for(int offset, int length)
    {
        var name = NewName(BlobKind.Pack);
        var data = Bytes(10000, seed: 4);
        await Store.PutAsync(name, data);
        var buffer = new byte[length];

        await Store.ReadRangeAsync(name, offset, buffer);

        Assert.Equal(data.AsSpan(offset, length).ToArray(), buffer);
    }

    [Theory]
    [InlineData(9950, 100)] // runs past the end
    [InlineData(10000, 1)] // starts at the end
    [InlineData(20000, 10)] // starts beyond the end
    public async Task Read_range_beyond_the_end_is_a_permanent_storage_error(int offset, int length)
    {
        var name = NewName(BlobKind.Pack);
        await Store.PutAsync(name, Bytes(10000, seed: 5));

        var e = await Assert.ThrowsAnyAsync<StorageException>(() => Store.ReadRangeAsync(name, offset, new byte[length]));

        Assert.IsNotType<BlobNotFoundException>(e);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task List_returns_exactly_the_blobs_of_one_kind_with_their_lengths()
    {
        var expected = new Dictionary<BlobKind, HashSet<BlobInfo>>();
        foreach (var kind in Enum.GetValues<BlobKind>())
        {
            expected[kind] = [];
            var count = kind == BlobKind.Config ? 1 : 3 + (int)kind;
            for (var i = 0; i < count; i++)
            {
                var name = kind == BlobKind.Config ? BlobName.Config : NewName(kind);
                var length = 10 * i + (int)kind;
                await Store.PutAsync(name, Bytes(length, seed: i));
                expected[kind].Add(new BlobInfo(name, length));
            }
        }

        foreach (var kind in Enum.GetValues<BlobKind>())
        {
            var listed = await ListAsync(kind);
            Assert.Equal(listed.Count, listed.Distinct().Count());
            Assert.Equal(expected[kind], listed.ToHashSet());
        }
    }

    [Fact]
    public async Task List_of_a_fresh_store_is_empty()
    {
        foreach (var kind in Enum.GetValues<BlobKind>())
        {
            Assert.Empty(await ListAsync(kind));
        }
    }

    [Fact]
    public async Task Packs_in_many_prefix_folders_are_all_listed()
    {
        var names = Enumerable.Range(0, 40).Select(i => new BlobName(BlobKind.Pack, $"{i * 6:x2}" + Hex(31))).ToList();
        foreach (var name in names)
        {
            await Store.PutAsync(name, Bytes(7, seed: 7));
        }

        Assert.Equal(names.ToHashSet(), (await ListAsync(BlobKind.Pack)).Select(b => b.Name).ToHashSet());
    }

    [Fact]
    public async Task Delete_removes_the_blob()
    {
        var name = NewName(BlobKind.Lock);
        await Store.PutAsync(name, Bytes(10, seed: 8));

        await Store.DeleteAsync(name);

        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetAsync(name));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.StatAsync(name));
        Assert.Empty(await ListAsync(BlobKind.Lock));
    }

    [Fact]
    public async Task Delete_of_a_missing_blob_succeeds()
    {
        await Store.DeleteAsync(NewName(BlobKind.Pack));
        await Store.DeleteAsync(NewName(BlobKind.Snapshot));
        await Store.DeleteAsync(BlobName.Config);
    }

    [Fact]
    public async Task A_blob_written_in_pieces_appears_whole_and_only_when_committed()
    {
        var name = NewName(BlobKind.Pack);
        byte[][] pieces = [Bytes(10, seed: 21), Bytes(5 << 20, seed: 22), [], Bytes(777, seed: 23)];
        await using (var writer = Store.CreateWriter(BlobKind.Pack))
        {
            foreach (var piece in pieces) writer.Write(piece);
            Assert.Equal(pieces.Sum(p => (long)p.Length), writer.Length);
            Assert.Empty(await ListAsync(BlobKind.Pack));

            await writer.CommitAsync(name, CancellationToken.None);
        }

        Assert.Equal(pieces.SelectMany(p => p).ToArray(), await Store.GetAsync(name));
        Assert.Equal([name], (await ListAsync(BlobKind.Pack)).Select(b => b.Name));
    }

    [Fact]
    public async Task A_writer_disposed_without_commit_leaves_no_blob()
    {
        await using (var writer = Store.CreateWriter(BlobKind.Pack))
        {
            writer.Write(Bytes(100_000, seed: 24));
        }

        Assert.Empty(await ListAsync(BlobKind.Pack));
    }

    [Fact]
    public async Task A_put_cancelled_before_the_call_leaves_no_blob()
    {
        var name = NewName(BlobKind.Pack);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PutAsync(name, Bytes(1 << 20, seed: 9), cancelled.Token));

        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.StatAsync(name));
        Assert.Empty(await ListAsync(BlobKind.Pack));
    }

    [Fact]
    public async Task A_cancelled_put_does_not_replace_an_existing_blob()
    {
        var name = NewName(BlobKind.Index);
        var original = Bytes(100, seed: 10);
        await Store.PutAsync(name, original);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PutAsync(name, Bytes(50, seed: 11), cancelled.Token));

        Assert.Equal(original, await Store.GetAsync(name));
    }

    [Fact]
    public async Task Concurrent_puts_of_distinct_names_are_all_visible()
    {
        var names = Enumerable.Range(0, 200).Select(_ => NewName(BlobKind.Pack)).ToList();

        await Parallel.ForEachAsync(
            names.Select((name, i) => (name, i)),
            new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (item, ct) => await Store.PutAsync(item.name, Bytes(100 + item.i, seed: item.i), ct));

        var listed = await ListAsync(BlobKind.Pack);
        Assert.Equal(names.Select((name, i) => new BlobInfo(name, 100 + i)).ToHashSet(), listed.ToHashSet());
        for (var i = 0; i < names.Count; i++)
        {
            Assert.Equal(Bytes(100 + i, seed: i), await Store.GetAsync(names[i]));
        }
    }

    [Fact]
    public async Task Every_read_sees_a_blob_as_soon_as_its_put_returns()
    {
        for (var i = 0; i < 20; i++)
        {
            var name = NewName(BlobKind.Snapshot);
            var data = Bytes(i * 37, seed: i);

            await Store.PutAsync(name, data);

            Assert.Equal(data.Length, (await Store.StatAsync(name)).Length);
            Assert.Equal(data, await Store.GetAsync(name));
            Assert.Contains(new BlobInfo(name, data.Length), await ListAsync(BlobKind.Snapshot));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".tmp-1234")]
    public async Task Names_that_could_escape_or_collide_are_rejected(string bad)
    {
        var name = new BlobName(BlobKind.Index, bad);

        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(name, Bytes(1, seed: 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetAsync(name));
    }

    /// <summary>A fresh random name of lowercase hex, like a real object id.</summary>
    protected static BlobName NewName(BlobKind kind) => kind == BlobKind.Config ? BlobName.Config : new BlobName(kind, Hex(32));

    /// <summary>Deterministic pseudo-random content.</summary>
    protected static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Collects a whole listing.</summary>
    protected async Task<List<BlobInfo>> ListAsync(BlobKind kind)
    {
        var all = new List<BlobInfo>();
        await foreach (var info in Store.ListAsync(kind))
        {
            all.Add(info);
        }

        return all;
    }

    private static string Hex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}

/// <summary>The local-disk store, in a fresh temporary directory that does not exist yet.</summary>
public sealed class LocalBlobStoreConformanceTests : BlobStoreConformanceTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-test-" + Guid.NewGuid().ToString("N"), "repo");

    protected override Task<IBlobStore> CreateStoreAsync() => Task.FromResult<IBlobStore>(new LocalBlobStore(_root));

    protected override Task CleanupAsync()
    {
        var parent = Path.GetDirectoryName(_root)!;
        if (Directory.Exists(parent))
        {
            Directory.Delete(parent, recursive: true);
        }

        return Task.CompletedTask;
    }
}

/// <summary>The in-memory store used by higher layers' unit tests.</summary>
public sealed class InMemoryBlobStoreConformanceTests : BlobStoreConformanceTests
{
    protected override Task<IBlobStore> CreateStoreAsync() => Task.FromResult<IBlobStore>(new InMemoryBlobStore());
}

/// <summary>
/// Retries over an in-memory store that fails a fifth of all calls transiently: with retrying, a flaky store must
/// still keep the whole contract.
/// </summary>
public sealed class RetryingBlobStoreConformanceTests : BlobStoreConformanceTests
{
    protected override Task<IBlobStore> CreateStoreAsync()
    {
        var flaky = new FaultInjectingBlobStore(new InMemoryBlobStore(), FaultPlan.Uniform(42, new FaultRates(Transient: 0.2)));
        var policy = new RetryPolicy { MaxAttempts = 12, Seed = 1, TimeProvider = new InstantTimeProvider() };
        return Task.FromResult<IBlobStore>(new RetryingBlobStore(flaky, policy));
    }
}
