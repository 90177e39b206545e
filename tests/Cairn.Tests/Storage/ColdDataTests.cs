using Cairn.Content;
using Cairn.Content.Packs;
using Cairn.Storage;

namespace Cairn.Tests.Storage;

/// <summary>
/// The storage side of cold storage: the tier hint on names and the class rule stores apply, finding archived blobs
/// from listings and stat, and thawing with polls on an injected clock.
/// </summary>
public sealed class ColdDataTests
{
    private static readonly CancellationToken s_ct = CancellationToken.None;

    private static BlobName Pack(int i) => new(BlobKind.Pack, i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<ColdBlobStore> StoreWithPacksAsync(int count, TimeProvider? time = null)
    {
        var store = new ColdBlobStore(time);
        for (int i = 0; i < count; i++) await store.PutAsync(Pack(i) with { Tier = StorageTier.Data }, new byte[100 + i]);
        return store;
    }

    [Fact]
    public void The_tier_is_a_put_hint_not_part_of_the_name()
    {
        var hot = Pack(1);
        var data = hot with { Tier = StorageTier.Data };
        Assert.Equal(StorageTier.Hot, hot.Tier);
        Assert.Equal(hot, data);
        Assert.Equal(hot.GetHashCode(), data.GetHashCode());
        Assert.Equal(hot.Path, data.Path);
        Assert.NotEqual(hot, Pack(2));
        Assert.NotEqual(hot, new BlobName(BlobKind.Index, hot.Name));
    }

    [Fact]
    public void Only_packs_marked_as_data_get_the_data_class()
    {
        var options = new TransferOptions { DataStorageClass = "DEEP_ARCHIVE" };
        Assert.Equal("DEEP_ARCHIVE", options.StorageClassFor(Pack(1) with { Tier = StorageTier.Data }));
        Assert.Null(options.StorageClassFor(Pack(1)));
        Assert.Null(options.StorageClassFor(new BlobName(BlobKind.Index, "ab") with { Tier = StorageTier.Data }));
        Assert.Null(options.StorageClassFor(new BlobName(BlobKind.Snapshot, "ab")));
        Assert.Null(new TransferOptions().StorageClassFor(Pack(1) with { Tier = StorageTier.Data }));
    }

    [Fact]
    public void A_pack_is_a_data_pack_only_when_it_holds_no_tree()
    {
        var id = new ObjectId(new byte[32]);
        BlobEntry data = new(ObjectType.Data, BlobFlags.None, id, 0, 40, 10), tree = new(ObjectType.Tree, BlobFlags.None, id, 40, 40, 10);
        Assert.Equal(StorageTier.Data, ContentStore.TierOf([data, data]));
        Assert.Equal(StorageTier.Hot, ContentStore.TierOf([tree]));
        // Older repositories' packs mix trees and data: such a pack must never go cold.
        Assert.Equal(StorageTier.Hot, ContentStore.TierOf([data, tree]));
        Assert.Equal(StorageTier.Hot, ContentStore.TierOf([]));
    }

    [Fact]
    public async Task The_tier_survives_the_transfer_decorators_to_the_store()
    {
        await using var cold = new ColdBlobStore();
        IBlobStore wrapped = new RetryingBlobStore(new UploadLimitedBlobStore(cold, new BandwidthLimiter(1 << 30)), new RetryPolicy());
        foreach (var (name, tier) in new[] { (Pack(1), StorageTier.Data), (Pack(2), StorageTier.Hot) })
        {
            await using var writer = wrapped.CreateWriter(BlobKind.Pack);
            writer.Write(new byte[1000]);
            await writer.CommitAsync(name with { Tier = tier }, s_ct);
        }
        await wrapped.PutAsync(Pack(3) with { Tier = StorageTier.Data }, new byte[10], s_ct);

        Assert.Equal(StorageTier.Data, cold.PutTiers[Pack(1)]);
        Assert.Equal(StorageTier.Hot, cold.PutTiers[Pack(2)]);
        Assert.Equal(StorageTier.Data, cold.PutTiers[Pack(3)]);
        Assert.Equal([Pack(1), Pack(3)], cold.InArchiveClass.OrderBy(n => n.Name, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Archived_blobs_are_found_by_stat_and_a_thawed_one_the_listing_still_calls_archived_is_not_reported()
    {
        await using var store = await StoreWithPacksAsync(3);
        store.ThawPolls = 0;
        Assert.Equal(ThawState.Readable, await store.RequestThawAsync(Pack(0), new ThawRequest(), s_ct));
        // As S3's listing does, the double still says GLACIER for the thawed copy.
        Assert.Contains(await store.ListAsync(BlobKind.Pack).ToListAsync(), b => b.Name == Pack(0) && b.IsArchived);

        var found = await ColdData.FindArchivedAsync(store, [Pack(0), Pack(1), Pack(9)], s_ct);
        Assert.Equal([Pack(1)], found.Blobs.Select(b => b.Name));
        Assert.Equal(101, found.Bytes);
        Assert.Equal(["GLACIER"], found.StorageClasses);

        var fromListing = await ColdData.FindArchivedAsync(store, await store.ListAsync(BlobKind.Pack).ToListAsync(), s_ct);
        Assert.Equal([Pack(1), Pack(2)], fromListing.Blobs.Select(b => b.Name));
        Assert.Empty(store.ArchivedReads);
    }

    [Fact]
    public async Task Many_needed_blobs_are_found_through_one_listing()
    {
        await using var store = new ColdBlobStore { DataStorageClass = null };
        for (int i = 0; i < 100; i++) await store.PutAsync(Pack(i), new byte[10]);
        store.Archive(Pack(7), "DEEP_ARCHIVE");
        store.Archive(Pack(70));
        store.Archive(Pack(150)); // archived but not needed... and not even stored: the listing never shows it

        var found = await ColdData.FindArchivedAsync(store, [.. Enumerable.Range(0, 100).Select(Pack)], s_ct);

        Assert.Equal([Pack(7), Pack(70)], found.Blobs.Select(b => b.Name));
        Assert.Equal(["DEEP_ARCHIVE", "GLACIER"], found.StorageClasses);
    }

    [Fact]
    public async Task A_store_without_archive_classes_has_nothing_archived_and_decorators_are_looked_through()
    {
        await using var memory = new InMemoryBlobStore();
        await memory.PutAsync(Pack(1), new byte[10]);
        Assert.False(ColdData.CanArchive(memory));
        Assert.Equal(0, (await ColdData.FindArchivedAsync(memory, [Pack(1)], s_ct)).Count);

        await using var cold = await StoreWithPacksAsync(1);
        var wrapped = new RetryingBlobStore(new FaultInjectingBlobStore(cold, new FaultPlan(1)), new RetryPolicy { MaxAttempts = 1 });
        Assert.True(ColdData.CanArchive(wrapped));
        Assert.Same(cold, wrapped.Feature<IColdStorageStore>());
        Assert.Equal([Pack(0)], (await ColdData.FindArchivedAsync(wrapped, [Pack(0)], s_ct)).Blobs.Select(b => b.Name));
    }

    [Fact]
    public async Task A_thaw_is_requested_once_per_blob_and_polled_until_readable()
    {
        var time = new SteppingTimeProvider(DateTimeOffset.UnixEpoch);
        await using var store = await StoreWithPacksAsync(3, time);
        store.ThawPolls = 2;
        var archived = await ColdData.FindArchivedAsync(store, [Pack(0), Pack(1), Pack(2)], s_ct);
        var progress = new List<ThawProgress>();

        var result = await ColdData.ThawAsync(store, archived, new ThawWaitOptions
        {
            Request = new ThawRequest(3, "Bulk"),
            PollInterval = TimeSpan.FromMinutes(15),
            Time = time,
            OnProgress = progress.Add,
        }, s_ct);

        Assert.True(result.Completed);
        Assert.Equal(TimeSpan.FromMinutes(30), result.Waited);
        Assert.Equal([TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15)], time.Waits);
        Assert.Equal([0, 0, 3], progress.Select(p => p.Readable));
        Assert.Equal(archived.Bytes, progress[^1].ReadableBytes);
        Assert.Equal(3, store.ThawRequests.Count);
        Assert.All(store.ThawRequests, r => Assert.Equal(new ThawRequest(3, "Bulk"), r.Request));
        Assert.Empty(store.Archived);
        Assert.Empty(store.ArchivedReads);
    }

    [Fact]
    public async Task A_wait_stops_at_its_limit_and_zero_only_requests()
    {
        var time = new SteppingTimeProvider(DateTimeOffset.UnixEpoch);
        await using var store = await StoreWithPacksAsync(2, time);
        store.ThawPolls = null;
        store.ThawTime = TimeSpan.FromHours(4);
        var archived = await ColdData.FindArchivedAsync(store, [Pack(0), Pack(1)], s_ct);

        var requested = await ColdData.ThawAsync(store, archived, new ThawWaitOptions { MaxWait = TimeSpan.Zero, Time = time }, s_ct);
        Assert.False(requested.Completed);
        Assert.Empty(time.Waits);
        Assert.Equal(2, store.ThawRequests.Count);

        var limited = await ColdData.ThawAsync(store, archived, new ThawWaitOptions { MaxWait = TimeSpan.FromMinutes(12), Time = time }, s_ct);
        Assert.False(limited.Completed);
        Assert.Equal(0, limited.Readable);
        Assert.Equal(TimeSpan.FromMinutes(12), limited.Waited);
        Assert.Equal([TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(2)], time.Waits);
        Assert.Equal(2, store.ThawRequests.Count); // asking again does not request again

        var done = await ColdData.ThawAsync(store, archived, new ThawWaitOptions { Time = time }, s_ct);
        Assert.True(done.Completed);
        Assert.True(time.GetUtcNow() >= DateTimeOffset.UnixEpoch + TimeSpan.FromHours(4));
    }

    [Fact]
    public async Task Transient_errors_of_thaw_requests_are_retried_on_the_next_poll_and_a_persistent_one_is_passed_on()
    {
        var time = new SteppingTimeProvider(DateTimeOffset.UnixEpoch);
        await using var store = await StoreWithPacksAsync(2, time);
        store.ThawPolls = 0;
        var archived = await ColdData.FindArchivedAsync(store, [Pack(0), Pack(1)], s_ct);
        store.TransientThawFailures = 3;

        var result = await ColdData.ThawAsync(store, archived, new ThawWaitOptions { Time = time }, s_ct);
        Assert.True(result.Completed);
        Assert.Equal(0, store.TransientThawFailures);

        await using var down = await StoreWithPacksAsync(1, time);
        var cold = await ColdData.FindArchivedAsync(down, [Pack(0)], s_ct);
        down.TransientThawFailures = int.MaxValue;
        var error = await Assert.ThrowsAsync<StorageException>(() => ColdData.ThawAsync(down, cold, new ThawWaitOptions { Time = time }, s_ct));
        Assert.True(error.IsTransient);
    }
}
